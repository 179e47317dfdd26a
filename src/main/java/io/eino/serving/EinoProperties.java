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
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Every {@code eino.*} setting (documented in the README).
 *
 * @param repository where models live on disk
 * @param runtime TensorFlow sessions, runners and the startup optimisation step
 * @param batching how requests are gathered into batches
 * @param admission which requests a busy model version still takes
 * @param validation input limits for every model (each model may override them)
 * @param rateLimit rate limiting beyond Resilience4j's own properties
 * @param errors how the error tiers react
 * @param plugins the plugins that ship with the service
 * @param operators custom operators
 * @param encryption keys and the plaintext directory of encrypted models
 * @param models the models to serve, by name, with per-model overrides of their
 * {@code model.yaml}
 */
@Validated
@ConfigurationProperties("eino")
public record EinoProperties(@Valid @DefaultValue Repository repository, @Valid @DefaultValue Runtime runtime,
		@Valid @DefaultValue Batching batching, @Valid @DefaultValue Admission admission,
		@Valid @DefaultValue Validation validation, @Valid @DefaultValue RateLimit rateLimit,
		@Valid @DefaultValue Errors errors, @Valid @DefaultValue Plugins plugins,
		@Valid @DefaultValue Operators operators, @Valid @DefaultValue Encryption encryption,
		Map<String, @Valid Model> models) {

	public EinoProperties {
		models = (models != null) ? Map.copyOf(models) : Map.of();
	}

	/**
	 * The model repository and how versions come and go (README, "Model repository").
	 *
	 * @param path the directory holding {@code <model>/<version>/}; created when missing
	 * @param installDefaultModel whether the bundled default model is prepared there on
	 * first start
	 * @param pollInterval how often the repository is scanned for new, changed and
	 * removed versions; 0 = only at start and on explicit control requests
	 * @param requireReadyMarker load a version directory only once it holds the
	 * {@value #READY_MARKER} file, written last (off: any numbered directory with a
	 * SavedModel or package, as TensorFlow Serving does)
	 * @param healthCheck the check a new version passes before it takes traffic
	 * @param drainTimeout how long a replaced version may finish its in-flight work
	 * before it is closed anyway
	 */
	public record Repository(@NotNull Path path, @DefaultValue("true") boolean installDefaultModel,
			@NotNull @DefaultValue("300s") Duration pollInterval, @DefaultValue("true") boolean requireReadyMarker,
			@Valid @DefaultValue HealthCheck healthCheck, @NotNull @DefaultValue("30s") Duration drainTimeout) {

		/** The file that marks a version directory complete. */
		public static final String READY_MARKER = "READY";

	}

	/**
	 * The health check of a freshly built version: one probe text through its batch queue
	 * and runners, whose output must be finite, within the timeout.
	 *
	 * @param timeout the limit of one attempt
	 * @param retries attempts after a failed first one before the version is refused
	 */
	public record HealthCheck(@NotNull @DefaultValue("10s") Duration timeout, @Min(0) @DefaultValue("3") int retries) {
	}

	/**
	 * Encrypted model packages ({@code model.eino}, sealed with {@code eino-model seal}).
	 *
	 * @param keys AES-256 keys by key id, base64; where Spring Cloud Vault's import puts
	 * the entries of the Vault secret (the {@code EINO_MODEL_KEY} environment variable
	 * adds to them)
	 * @param plaintextDirectory a memory-backed directory (tmpfs) for the seconds
	 * TensorFlow reads a decrypted version; empty = {@code /dev/shm}, else
	 * {@code $XDG_RUNTIME_DIR}
	 */
	public record Encryption(Map<String, String> keys, Path plaintextDirectory) {

		public Encryption {
			keys = (keys != null) ? Map.copyOf(keys) : Map.of();
		}

		@Override
		public String toString() {
			return "Encryption[keys=" + this.keys.keySet() + ", plaintextDirectory=" + this.plaintextDirectory + "]";
		}

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
	 * Admission to a model version's queue (docs/traffic.md, "Admission"): a request is
	 * refused with 503 {@code overloaded} when the work queued ahead of it, counted
	 * fairly between clients, is predicted to take longer than {@code maxQueueTime}.
	 *
	 * @param maxQueueTime the longest predicted wait admitted (0 = no bound by time; the
	 * queue capacity still applies)
	 * @param priorityLead how far ahead one step of a trusted {@code Eino-Priority} moves
	 * a text, in predicted run time of its own client's work
	 */
	public record Admission(@NotNull @DefaultValue("1s") Duration maxQueueTime,
			@NotNull @DefaultValue("10ms") Duration priorityLead) {
	}

	/**
	 * Input limits, checked before anything reaches a model.
	 *
	 * @param maxBodySize larger request bodies are refused with 413
	 * @param maxInstances texts (or tensor rows) per request
	 * @param maxCharacters characters (Unicode code points, after NFC normalisation) per
	 * text
	 * @param denyPatterns RE2 regular expressions; a text containing a match is refused
	 * @param requireLetters refuse texts without a letter in any script
	 * @param maxRepeatedCharacters the longest run of one non-space character allowed
	 * @param maxUnknownTokenRatio the largest share of a text's tokens that may be
	 * unknown to the tokenizer's vocabulary (1 = no check)
	 */
	public record Validation(@NotNull @DefaultValue("1MB") DataSize maxBodySize,
			@Min(1) @DefaultValue("64") int maxInstances, @Min(1) @DefaultValue("1024") int maxCharacters,
			@NotNull @DefaultValue( {
					"[<>]" }) List<String> denyPatterns,
			@DefaultValue("true") boolean requireLetters, @Min(1) @DefaultValue("32") int maxRepeatedCharacters,
			@DecimalMin("0.0") @DecimalMax("1.0") @DefaultValue("0.5") double maxUnknownTokenRatio){

		public Validation {
			denyPatterns = List.copyOf(denyPatterns);
		}

		/** These limits with a model's overrides applied. */
		public Validation with(ValidationOverrides overrides) {
			if (overrides == null) {
				return this;
			}
			return new Validation(orElse(overrides.maxBodySize(), this.maxBodySize),
					orElse(overrides.maxInstances(), this.maxInstances),
					orElse(overrides.maxCharacters(), this.maxCharacters),
					orElse(overrides.denyPatterns(), this.denyPatterns),
					orElse(overrides.requireLetters(), this.requireLetters),
					orElse(overrides.maxRepeatedCharacters(), this.maxRepeatedCharacters),
					orElse(overrides.maxUnknownTokenRatio(), this.maxUnknownTokenRatio));
		}

		private static <T> T orElse(T override, T value) {
			return (override != null) ? override : value;
		}

	}

	/**
	 * One model's overrides of {@link Validation}; what is left out keeps the default.
	 *
	 * @param maxBodySize see {@link Validation#maxBodySize()}
	 * @param maxInstances see {@link Validation#maxInstances()}
	 * @param maxCharacters see {@link Validation#maxCharacters()}
	 * @param denyPatterns see {@link Validation#denyPatterns()}
	 * @param requireLetters see {@link Validation#requireLetters()}
	 * @param maxRepeatedCharacters see {@link Validation#maxRepeatedCharacters()}
	 * @param maxUnknownTokenRatio see {@link Validation#maxUnknownTokenRatio()}
	 */
	public record ValidationOverrides(DataSize maxBodySize, @Min(1) Integer maxInstances, @Min(1) Integer maxCharacters,
			List<String> denyPatterns, Boolean requireLetters, @Min(1) Integer maxRepeatedCharacters,
			@DecimalMin("0.0") @DecimalMax("1.0") Double maxUnknownTokenRatio) {
	}

	/**
	 * Rate limiting. The limits themselves are Resilience4j's properties:
	 * {@code resilience4j.ratelimiter.configs.default} and
	 * {@code resilience4j.ratelimiter.instances.<model>}; each client of a model gets its
	 * own limiter with the model's settings.
	 *
	 * @param enabled whether requests are rate limited
	 * @param maxTrackedClients clients remembered per model; the least recently seen is
	 * forgotten beyond that
	 */
	public record RateLimit(@DefaultValue("true") boolean enabled,
			@Min(1) @DefaultValue("10000") int maxTrackedClients) {
	}

	/**
	 * The error tiers.
	 *
	 * @param systemErrorThreshold this many system-tier errors within
	 * {@code systemErrorWindow} take readiness down until the window has fewer
	 * @param systemErrorWindow see {@code systemErrorThreshold}
	 */
	public record Errors(@Min(1) @DefaultValue("5") int systemErrorThreshold,
			@NotNull @DefaultValue("60s") Duration systemErrorWindow) {
	}

	/**
	 * The plugins that ship with the service.
	 *
	 * @param audit one JSON line per request
	 * @param piiMasking masks personal data before inference
	 */
	public record Plugins(@Valid @DefaultValue Audit audit, @Valid @DefaultValue PiiMasking piiMasking) {
	}

	/**
	 * The audit log: one JSON line per request on the {@code eino.audit} logger.
	 *
	 * @param enabled whether it is written
	 * @param includeText whether the (validated, masked) texts are written too
	 */
	public record Audit(@DefaultValue("false") boolean enabled, @DefaultValue("false") boolean includeText) {
	}

	/**
	 * Masking of personal data in texts before inference.
	 *
	 * @param enabled whether texts are masked
	 * @param kinds what is masked
	 */
	public record PiiMasking(@DefaultValue("false") boolean enabled, @NotNull @DefaultValue( {
			"email", "phone", "card" }) List<String> kinds){
	}

	/**
	 * Operators.
	 *
	 * @param customOpLibraries TensorFlow custom-op libraries ({@code .so}) loaded before
	 * any model
	 */
	public record Operators(@NotNull @DefaultValue( {
		}) List<Path> customOpLibraries){
	}

	/**
	 * One served model.
	 *
	 * @param enabled whether it is served
	 * @param maxTokens overrides {@code max-tokens} of its {@code model.yaml}
	 * @param overflow overrides {@code overflow} of its {@code model.yaml}
	 * @param padTo pad every batch to this one length instead of length buckets (the
	 * "traditional" configuration); at least the model's max tokens
	 * @param validation overrides of the input limits
	 * @param fallback what is answered while the model is failing and no other version
	 * can answer
	 * @param versionPolicy which of its versions are loaded
	 */
	public record Model(@DefaultValue("true") boolean enabled, @Min(2) Integer maxTokens, Overflow overflow,
			@Min(1) Integer padTo, @Valid ValidationOverrides validation, @Valid Fallback fallback,
			@Valid @DefaultValue VersionPolicy versionPolicy) {
	}

	/**
	 * Which versions of a model are loaded (TensorFlow Serving's model version policy).
	 * The highest loaded version takes the traffic that names no version.
	 *
	 * @param kind latest (the {@code count} highest), all, or specific ({@code versions})
	 * @param count how many of the highest versions {@code latest} loads
	 * @param versions the versions {@code specific} loads
	 */
	public record VersionPolicy(@NotNull @DefaultValue("latest") Kind kind, @Min(1) @DefaultValue("1") int count,
			@NotNull @DefaultValue( {
			}) List<Long> versions){

		/** The kinds of version policy. */
		public enum Kind {

			LATEST, ALL, SPECIFIC

		}

		/** The versions to load out of those present, in ascending order. */
		public List<Long> select(List<Long> present) {
			List<Long> sorted = present.stream().sorted().toList();
			return switch (this.kind) {
				case ALL -> sorted;
				case LATEST -> sorted.subList(Math.max(0, sorted.size() - this.count), sorted.size());
				case SPECIFIC -> sorted.stream().filter(this.versions::contains).toList();
			};
		}

	}

	/**
	 * A configured fallback answer, given for every text while a model is failing.
	 *
	 * @param label the label answered
	 * @param score its score
	 */
	public record Fallback(@NotEmpty String label, @DecimalMin("0.0") @DecimalMax("1.0") double score) {
	}

}
