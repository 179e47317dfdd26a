package io.eino.serving.model.lifecycle;

import java.nio.file.Path;

import io.eino.serving.model.PublishedVersion;
import io.eino.serving.model.ServedModels;

/**
 * What the {@link Reconciler} asks to build a version: {@code ModelLoader.load} in the
 * service, a fake in the reconciler's own tests.
 */
@FunctionalInterface
interface VersionBuilder {

	/**
	 * @throws RuntimeException why the version could not be built
	 */
	PublishedVersion load(String model, Path modelDirectory, long version, ServedModels.Settings settings);

}
