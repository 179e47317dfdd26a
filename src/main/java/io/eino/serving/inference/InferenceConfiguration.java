package io.eino.serving.inference;

import java.util.HashMap;
import java.util.Map;

import io.eino.serving.EinoProperties;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.plugin.Plugins;
import io.eino.serving.ratelimit.ClientRateLimiters;
import io.eino.serving.validation.InputPolicies;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The inference service, each model's input validator, and the threads raw-tensor
 * requests run on ({@code eino-tensor-N}); text requests run on each version's runners.
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
	InputPolicies inputPolicies(EinoProperties properties) {
		return new InputPolicies(properties);
	}

	@Bean
	InferenceService inferenceService(ModelRegistry registry, Scheduler tensorScheduler, EinoProperties properties,
			InputPolicies inputPolicies, Plugins plugins, ClientRateLimiters rateLimiters,
			ObjectProvider<CircuitBreakerRegistry> circuitBreakers, MeterRegistry meters) {
		Map<String, EinoProperties.Fallback> fallbacks = new HashMap<>();
		properties.models().forEach((name, model) -> {
			if (model.fallback() != null) {
				fallbacks.put(name, model.fallback());
			}
		});
		return new InferenceService(registry, tensorScheduler, properties.batching().requestTimeout(), inputPolicies,
				plugins, rateLimiters, circuitBreakers.getIfAvailable(CircuitBreakerRegistry::ofDefaults), fallbacks,
				meters);
	}

}
