package io.eino.serving;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.eino.serving.runtime.GraphOptimization;
import io.eino.serving.runtime.Precision;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.Overflow;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Every {@code eino.*} setting (documented in the README).
 *
 * @param repository where models live on disk
 * @param runtime TensorFlow sessions, runners and the startup optimisation step
 * @param batching how requests are gathered into batches
 * @param models the models to serve, by name, with per-model overrides of their
 * {@code model.yaml}
 */
@Validated
@ConfigurationProperties("eino")
public record EinoProperties(@Valid @DefaultValue Repository repository, @Valid @DefaultValue Runtime runtime,
		@Valid @DefaultValue Batching batching, Map<String, @Valid Model> models) {

	public EinoProperties {
		models = (models != null) ? Map.copyOf(models) : Map.of();
	}

	/**
	 * The model repository.
	 *
	 * @param path the directory holding {@code <model>/<version>/}; created when missing
	 * @param installDefaultModel whether the bundled default model is prepared there on
	 * first start
	 */
	public record Repository(@NotNull Path path, @DefaultValue("true") boolean installDefaultModel) {
	}

	/**
	 * TensorFlow sessions and the startup optimisation step.
	 *
	 * @param intraOpThreads threads one TensorFlow operation may use; 0 = cores divided
	 * by the instances
	 * @param interOpThreads TensorFlow operations run side by side per session; 0 = 1
	 * @param instances runners (sessions, each with its own thread) per model version; 0
	 * = one per two cores, at least one
	 * @param graphOptimization Grappler / XLA level of the startup step
	 * @param precision fp32, or auto: bfloat16 where the CPU has it and it passes the
	 * accuracy check
	 * @param gpu GPU session options (the {@code gpu} build only)
	 */
	public record Runtime(@Min(0) @DefaultValue("0") int intraOpThreads, @Min(0) @DefaultValue("0") int interOpThreads,
			@Min(0) @DefaultValue("0") int instances,
			@NotNull @DefaultValue("default") GraphOptimization graphOptimization,
			@NotNull @DefaultValue("auto") Precision precision, @Valid @DefaultValue Gpu gpu) {

		public int effectiveInstances() {
			return (this.instances > 0) ? this.instances : Math.max(1, cores() / 2);
		}

		public int effectiveIntraOpThreads() {
			return (this.intraOpThreads > 0) ? this.intraOpThreads : Math.max(1, cores() / effectiveInstances());
		}

		public int effectiveInterOpThreads() {
			return (this.interOpThreads > 0) ? this.interOpThreads : 1;
		}

		public SessionSettings sessionSettings() {
			return new SessionSettings(effectiveIntraOpThreads(), effectiveInterOpThreads(), this.graphOptimization,
					false, new SessionSettings.Gpu(this.gpu.allowGrowth(), this.gpu.memoryFraction(),
							this.gpu.visibleDevices()));
		}

		private static int cores() {
			return java.lang.Runtime.getRuntime().availableProcessors();
		}

	}

	/**
	 * GPU session options; the CPU build ignores them.
	 *
	 * @param allowGrowth take GPU memory as needed rather than all at start
	 * @param memoryFraction share of each GPU's memory to take; 0 = TensorFlow's default
	 * @param visibleDevices comma-separated GPU ids to use; empty = all
	 */
	public record Gpu(@DefaultValue("true") boolean allowGrowth,
			@DecimalMin("0.0") @DecimalMax("1.0") @DefaultValue("0") double memoryFraction,
			@NotNull @DefaultValue("") String visibleDevices) {
	}

	/**
	 * Dynamic batching, for every model version.
	 *
	 * @param enabled gather concurrent requests into batches; off = every text runs alone
	 * @param maxBatchSize a batch closes when it holds this many texts
	 * @param maxQueueDelay a batch closes when its oldest text has waited this long
	 * @param queueCapacity texts waiting per model version before requests are refused
	 * with 503
	 * @param allowedLengths lengths a batch may be padded to (the model's max tokens is
	 * always allowed)
	 * @param requestTimeout a request's deadline unless its {@code Eino-Timeout-Ms}
	 * header says otherwise
	 */
	public record Batching(@DefaultValue("true") boolean enabled, @Min(1) @DefaultValue("32") int maxBatchSize,
			@NotNull @DefaultValue("2ms") Duration maxQueueDelay, @Min(1) @DefaultValue("1024") int queueCapacity,
			@NotEmpty @DefaultValue( {
					"8", "16", "32", "64", "128", "256" }) List<@Min(1) Integer> allowedLengths,
			@NotNull @DefaultValue("30s") Duration requestTimeout){
	}

	/**
	 * One served model.
	 *
	 * @param enabled whether it is served
	 * @param maxTokens overrides {@code max-tokens} of its {@code model.yaml}
	 * @param overflow overrides {@code overflow} of its {@code model.yaml}
	 * @param padTo pad every batch to this one length instead of length buckets (the
	 * "traditional" configuration); at least the model's max tokens
	 */
	public record Model(@DefaultValue("true") boolean enabled, @Min(2) Integer maxTokens, Overflow overflow,
			@Min(1) Integer padTo) {
	}

}
