package io.eino.serving.inference;

import io.eino.serving.EinoProperties;
import io.eino.serving.model.ModelRegistry;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The inference service and the threads raw-tensor requests run on
 * ({@code eino-tensor-N}); text requests run on each version's runners.
 */
@Configuration(proxyBeanMethods = false)
class InferenceConfiguration {

	/** Raw-tensor runs waiting for a thread before new ones are refused. */
	private static final int TENSOR_QUEUE_CAPACITY = 1_000;

	@Bean(destroyMethod = "dispose")
	Scheduler tensorScheduler(EinoProperties properties) {
		return Schedulers.newBoundedElastic(properties.runtime().effectiveInstances(), TENSOR_QUEUE_CAPACITY,
				"eino-tensor");
	}

	@Bean
	InferenceService inferenceService(ModelRegistry registry, Scheduler tensorScheduler, EinoProperties properties) {
		return new InferenceService(registry, tensorScheduler, properties.batching().requestTimeout());
	}

}
