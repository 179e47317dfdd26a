package io.eino.serving.inference;

import java.util.HashMap;
import java.util.Map;

import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServedModels;
import io.eino.serving.model.loading.BatchingProperties;
import io.eino.serving.plugin.Plugins;
import io.eino.serving.ratelimit.ClientRateLimiters;
import io.eino.serving.runtime.BatchObserver;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.ValidationOverrides;
import io.eino.serving.validation.ValidationProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Tracer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The inference service and each model's input validator; requests run on each version's
 * runners.
 */
@Configuration(proxyBeanMethods = false)
class InferenceConfiguration {

	@Bean
	InputPolicies inputPolicies(ValidationProperties validation, ServedModels models) {
		Map<String, ValidationOverrides> overrides = new HashMap<>();
		models.models().forEach((name, model) -> overrides.put(name, model.validation()));
		return new InputPolicies(validation, overrides);
	}

	@Bean
	InferenceService inferenceService(ModelRegistry registry, ServedModels models, BatchingProperties batching,
			InputPolicies inputPolicies, Plugins plugins, ClientRateLimiters rateLimiters,
			ObjectProvider<CircuitBreakerRegistry> circuitBreakers, MeterRegistry meters,
			ObjectProvider<Tracer> tracer) {
		Map<String, ServedModels.Fallback> fallbacks = new HashMap<>();
		models.models().forEach((name, model) -> {
			if (model.fallback() != null) {
				fallbacks.put(name, model.fallback());
			}
		});
		return new InferenceService(registry, batching.requestTimeout(), inputPolicies, plugins, rateLimiters,
				circuitBreakers.getIfAvailable(CircuitBreakerRegistry::ofDefaults), fallbacks, meters,
				tracer.getIfAvailable(() -> Tracer.NOOP));
	}

	/** TF Serving's Classify and Regress, for the REST and gRPC APIs. */
	@Bean
	ExampleInference exampleInference(InferenceService inference) {
		return new ExampleInference(inference);
	}

	/**
	 * The {@code eino.batch} spans, one per session run (docs/operations.md, "Traces").
	 */
	@Bean
	BatchObserver batchSpans(ObjectProvider<Tracer> tracer) {
		return new RequestSpans(tracer.getIfAvailable(() -> Tracer.NOOP));
	}

}
