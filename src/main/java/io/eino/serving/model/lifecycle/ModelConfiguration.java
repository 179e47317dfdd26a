package io.eino.serving.model.lifecycle;

import java.util.List;

import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.model.ModelReadyGauge;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServedModels;
import io.eino.serving.model.loading.AdmissionProperties;
import io.eino.serving.model.loading.BatchingProperties;
import io.eino.serving.model.loading.BuildSettings;
import io.eino.serving.model.loading.ModelLoader;
import io.eino.serving.operator.OperatorRegistry;
import io.eino.serving.repository.ModelInstaller;
import io.eino.serving.repository.RepositoryProperties;
import io.eino.serving.runtime.BatchObserver;
import io.eino.serving.runtime.RuntimeLayout;
import io.eino.serving.runtime.RuntimeProperties;
import io.eino.serving.security.EncryptionProperties;
import io.eino.serving.security.ModelKeys;
import io.eino.serving.validation.ValidationProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.tensorflow.TensorFlow;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.info.BuildProperties;
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
	ModelRegistry modelRegistry(ServedModels models) {
		ModelRegistry registry = new ModelRegistry();
		models.models().forEach((name, model) -> {
			if (model.enabled()) {
				registry.register(name);
			}
		});
		return registry;
	}

	/** {@code eino.model.ready}, from the registry's statuses. */
	@Bean
	ModelReadyGauge modelReadyGauge(ModelRegistry registry, MeterRegistry meters) {
		return new ModelReadyGauge(registry, meters);
	}

	/**
	 * {@code eino.build.info{version,tensorflow}} = 1: which build of the service, on
	 * which TensorFlow, answers.
	 */
	@Bean
	MeterBinder buildInfo(ObjectProvider<BuildProperties> build) {
		String version = build.stream().map(BuildProperties::getVersion).findFirst().orElse("unknown");
		return (meters) -> Gauge.builder("eino.build.info", () -> 1)
			.description("Always 1; the tags say which build of eino-serving and which TensorFlow run")
			.tags("version", version, "tensorflow", TensorFlow.version())
			.register(meters);
	}

	/**
	 * Keys by id from {@code eino.encryption.keys} (read from the live environment at
	 * each load, so a Vault secret re-read by a refresh is seen) and
	 * {@code EINO_MODEL_KEY}.
	 */
	@Bean
	ModelKeys modelKeys(Environment environment) {
		return new ModelKeys(() -> Binder.get(environment)
			.bindOrCreate(EncryptionProperties.PREFIX, EncryptionProperties.class)
			.keys(), System.getenv(ModelKeys.ENVIRONMENT_VARIABLE));
	}

	/** How many runners each version gets, and their sessions' threads. */
	@Bean
	RuntimeLayout runtimeLayout(RuntimeProperties runtime) {
		return RuntimeLayout.of(runtime);
	}

	@Bean
	ModelLoader modelLoader(RepositoryProperties repository, RuntimeLayout runtime, BatchingProperties batching,
			AdmissionProperties admission, EncryptionProperties encryption, ValidationProperties validation,
			BatchScheduler batchScheduler, MeterRegistry meterRegistry, OperatorRegistry operatorRegistry,
			ModelKeys modelKeys, ObjectProvider<BatchObserver> batchObserver) {
		BuildSettings settings = new BuildSettings(repository, runtime, batching, admission,
				encryption.plaintextDirectory(), validation);
		return new ModelLoader(settings, batchScheduler, meterRegistry, operatorRegistry, modelKeys,
				batchObserver.getIfAvailable(() -> BatchObserver.NONE));
	}

	/** Stopped before the registry closes, so that no build is under way then. */
	@Bean(destroyMethod = "close")
	ModelLifecycle modelLifecycle(RepositoryProperties repository, ServedModels models,
			ObjectProvider<ModelInstaller> installers, ModelRegistry registry, ModelLoader loader,
			ErrorMetrics errorMetrics, SystemErrorMonitor systemErrors, MeterRegistry meterRegistry) {
		List<ModelInstaller> offered = installers.orderedStream().toList();
		ModelLifecycle lifecycle = new ModelLifecycle(repository, models, offered, registry, loader, errorMetrics,
				systemErrors, meterRegistry);
		// The first load overlaps the rest of the context's startup; the runner below
		// waits for it, so readiness still comes only once the models serve.
		lifecycle.begin();
		return lifecycle;
	}

	/**
	 * Waits for the models' first load (readiness stays down until they serve), then
	 * polling starts.
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
