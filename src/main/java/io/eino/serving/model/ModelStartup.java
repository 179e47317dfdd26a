package io.eino.serving.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.eino.serving.EinoProperties;
import io.eino.serving.repository.DefaultModel;
import io.eino.serving.repository.DefaultModelInstaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;

/**
 * Loads the versions every enabled model's version policy selects (the latest by default)
 * once the server is up (readiness stays down until they serve), preparing the bundled
 * default model first when the repository lacks it. A model that fails to load is
 * reported in its status and logged; the others still serve.
 */
final class ModelStartup implements ApplicationRunner {

	private static final Logger logger = LoggerFactory.getLogger(ModelStartup.class);

	private final EinoProperties properties;

	private final ModelRegistry registry;

	private final ModelLoader loader;

	ModelStartup(EinoProperties properties, ModelRegistry registry, ModelLoader loader) {
		this.properties = properties;
		this.registry = registry;
		this.loader = loader;
	}

	@Override
	public void run(ApplicationArguments args) throws Exception {
		Path repository = this.properties.repository().path();
		Files.createDirectories(repository);
		if (this.properties.repository().installDefaultModel() && this.registry.contains(DefaultModel.NAME)) {
			new DefaultModelInstaller().installIfMissing(repository);
		}
		for (Map.Entry<String, EinoProperties.Model> model : this.properties.models().entrySet()) {
			if (model.getValue().enabled()) {
				load(repository, model.getKey(), model.getValue());
			}
		}
	}

	private void load(Path repository, String name, EinoProperties.Model overrides) {
		Path modelDirectory = repository.resolve(name);
		List<Long> versions = overrides.versionPolicy().select(ModelLoader.versions(modelDirectory));
		if (versions.isEmpty()) {
			logger.error("Model '{}' has no version directory with a saved_model.pb in {} that its version policy {}"
					+ " selects", name, modelDirectory, overrides.versionPolicy());
			this.registry.failed(name, 0, "no version found in " + modelDirectory);
			return;
		}
		for (long version : versions) {
			load(name, modelDirectory, version, overrides);
		}
	}

	private void load(String name, Path modelDirectory, long version, EinoProperties.Model overrides) {
		this.registry.loading(name, version);
		long started = System.nanoTime();
		try {
			this.registry.publish(this.loader.load(name, modelDirectory, version, overrides));
			logger.info("Loaded model '{}' version {} in {} ms", name, version,
					(System.nanoTime() - started) / 1_000_000);
		}
		catch (RuntimeException ex) {
			logger.error("Model '{}' version {} failed to load: {}", name, version, ex.getMessage(), ex);
			this.registry.failed(name, version, ex.getMessage());
		}
	}

}
