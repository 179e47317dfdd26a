package io.eino.serving.model;

import io.eino.serving.EinoProperties;
import io.eino.serving.runtime.SessionSettings;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The model registry, filled at startup from the repository.
 */
@Configuration(proxyBeanMethods = false)
class ModelConfiguration {

	@Bean(destroyMethod = "close")
	ModelRegistry modelRegistry(EinoProperties properties) {
		ModelRegistry registry = new ModelRegistry();
		properties.models().forEach((name, model) -> {
			if (model.enabled()) {
				registry.register(name);
			}
		});
		return registry;
	}

	@Bean
	ModelLoader modelLoader(EinoProperties properties) {
		EinoProperties.Runtime runtime = properties.runtime();
		return new ModelLoader(new SessionSettings(runtime.intraOpThreads(), runtime.interOpThreads()));
	}

	@Bean
	ModelStartup modelStartup(EinoProperties properties, ModelRegistry registry, ModelLoader loader) {
		return new ModelStartup(properties, registry, loader);
	}

	@Bean("models")
	ModelsHealthIndicator modelsHealthIndicator(ModelRegistry registry) {
		return new ModelsHealthIndicator(registry);
	}

}
