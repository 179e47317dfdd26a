package io.eino.serving.repository;

import java.nio.file.Path;
import java.time.Duration;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The model repository and how versions come and go ({@code eino.repository.*};
 * docs/models.md).
 *
 * @param path the directory holding {@code <model>/<version>/}; created when missing
 * @param installDefaultModel whether the bundled default model is prepared there on first
 * start
 * @param pollInterval how often the repository is scanned for new, changed and removed
 * versions; 0 = only at start and on explicit control requests
 * @param requireReadyMarker load a version directory only once it holds the
 * {@value ModelRepository#READY_MARKER} file, written last (off: any numbered directory
 * with a SavedModel or package, as TensorFlow Serving does)
 * @param healthCheck the check a new version passes before it takes traffic
 * @param drainTimeout how long a replaced version may finish its in-flight work before it
 * is closed anyway
 */
@Validated
@ConfigurationProperties("eino.repository")
public record RepositoryProperties(@NotNull Path path, @DefaultValue("true") boolean installDefaultModel,
		@NotNull @DefaultValue("300s") Duration pollInterval, @DefaultValue("true") boolean requireReadyMarker,
		@Valid @DefaultValue HealthCheck healthCheck, @NotNull @DefaultValue("30s") Duration drainTimeout) {

	/**
	 * The health check of a freshly built version: one probe text through its batch queue
	 * and runners, whose output must be finite, within the timeout.
	 *
	 * @param timeout the limit of one attempt
	 * @param retries attempts after a failed first one before the version is refused
	 */
	public record HealthCheck(@NotNull @DefaultValue("10s") Duration timeout, @Min(0) @DefaultValue("3") int retries) {
	}

}
