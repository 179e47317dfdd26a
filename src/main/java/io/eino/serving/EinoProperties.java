package io.eino.serving;

import java.nio.file.Path;
import java.util.Map;

import io.eino.serving.text.Overflow;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Every {@code eino.*} setting (documented in the README).
 *
 * @param repository where models live on disk
 * @param runtime TensorFlow session and runner threads
 * @param models the models to serve, by name, with per-model overrides of their
 * {@code model.yaml}
 */
@Validated
@ConfigurationProperties("eino")
public record EinoProperties(@Valid @DefaultValue Repository repository, @Valid @DefaultValue Runtime runtime,
		Map<String, @Valid Model> models) {

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
	 * TensorFlow threads.
	 *
	 * @param intraOpThreads threads one TensorFlow operation may use; 0 = number of cores
	 * @param interOpThreads TensorFlow operations run side by side; 0 = TensorFlow's
	 * choice
	 * @param runnerThreads session runs in flight at once; 0 = number of cores
	 */
	public record Runtime(@Min(0) @DefaultValue("0") int intraOpThreads, @Min(0) @DefaultValue("0") int interOpThreads,
			@Min(0) @DefaultValue("0") int runnerThreads) {

		public int effectiveRunnerThreads() {
			return (this.runnerThreads > 0) ? this.runnerThreads : java.lang.Runtime.getRuntime().availableProcessors();
		}

	}

	/**
	 * One served model.
	 *
	 * @param enabled whether it is served
	 * @param maxTokens overrides {@code max-tokens} of its {@code model.yaml}
	 * @param overflow overrides {@code overflow} of its {@code model.yaml}
	 */
	public record Model(@DefaultValue("true") boolean enabled, @Min(2) Integer maxTokens, Overflow overflow) {
	}

}
