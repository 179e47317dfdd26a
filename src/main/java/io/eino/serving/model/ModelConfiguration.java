package io.eino.serving.model;

import java.util.Map;

import io.eino.serving.EinoProperties;
import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.operator.OperatorRegistry;
import io.eino.serving.security.ModelKeys;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.core.env.Environment;

/**
 * The model registry, the lifecycle that fills it from the repository, the batch
 * scheduler feeding every version's runners, and the keys of encrypted models.
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

	/**
	 * Keys by id from {@code eino.encryption.keys} (read from the live environment at
	 * each load, so a Vault secret re-read by a refresh is seen) and
	 * {@code EINO_MODEL_KEY}.
	 */
	@Bean
	ModelKeys modelKeys(Environment environment) {
		return new ModelKeys(() -> Binder.get(environment)
			.bind("eino.encryption.keys", Bindable.mapOf(String.class, String.class))
			.orElse(Map.of()), System.getenv(ModelKeys.ENVIRONMENT_VARIABLE));
	}

	@Bean
	ModelLoader modelLoader(EinoProperties properties, BatchScheduler batchScheduler, MeterRegistry meterRegistry,
			OperatorRegistry operatorRegistry, ModelKeys modelKeys) {
		return new ModelLoader(properties, batchScheduler, meterRegistry, operatorRegistry, modelKeys);
	}

	/** Stopped before the registry closes, so that no build is under way then. */
	@Bean(destroyMethod = "close")
	ModelLifecycle modelLifecycle(EinoProperties properties, ModelRegistry registry, ModelLoader loader,
			ErrorMetrics errorMetrics, SystemErrorMonitor systemErrors, MeterRegistry meterRegistry) {
		return new ModelLifecycle(properties, registry, loader, errorMetrics, systemErrors, meterRegistry);
	}

	/**
	 * Loads the models once the server is up (readiness stays down until they serve),
	 * then polling starts.
	 */
	@Bean
	ApplicationRunner modelStartup(ModelLifecycle lifecycle) {
		return (args) -> lifecycle.start();
	}

	@Bean("models")
	ModelsHealthIndicator modelsHealthIndicator(ModelRegistry registry) {
		return new ModelsHealthIndicator(registry);
	}

}
