package io.eino.serving.repository;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Prepares a model that ships with the service in the repository on first start
 * ({@code eino.repository.install-default-model}). The lifecycle calls every installer
 * bean whose model is served; the installers live with the offline tools that build their
 * models, so that the serving packages do not depend on them (docs/architecture.md).
 */
public interface ModelInstaller {

	/** The name of the model it installs. */
	String model();

	/**
	 * Installs the model under {@code repository} unless it is there already.
	 * @return whether it installed the model (false: already there)
	 */
	boolean installIfMissing(Path repository) throws IOException;

}
