package io.eino.serving.model;

import io.eino.serving.EinoProperties;
import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.operator.OperatorRegistry;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;

/**
 * The model registry, filled at startup from the repository, and the batch scheduler
 * feeding every version's runners.
 */
@Configuration(proxyBeanMethods = false)
class ModelConfiguration {

	/** One batching thread for every model version's queue. */
	@Bean(destroyMethod = "close")
	BatchScheduler batchScheduler() {
		return BatchScheduler.start("eino-batcher");
	}

	/** Closed before the scheduler, so that closing versions can drain their queues. */
	@Bean(destroyMethod = "close")
	@DependsOn("batchScheduler")
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
	ModelLoader modelLoader(EinoProperties properties, BatchScheduler batchScheduler, MeterRegistry meterRegistry,
			OperatorRegistry operatorRegistry) {
		return new ModelLoader(properties, batchScheduler, meterRegistry, operatorRegistry);
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
