package io.eino.serving.inference;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.eino.serving.model.ModelRegistry;
import io.eino.serving.plugin.Plugins;
import io.eino.serving.ratelimit.ClientRateLimiters;
import io.eino.serving.ratelimit.RateLimitProperties;
import io.eino.serving.validation.InputPolicies;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Tracer;

/**
 * The inference service as tests without Spring build it: over {@code registry} (usually
 * of {@link io.eino.serving.model.StubVersion}s), without plugins, quotas off,
 * Resilience4j's default breakers, a 5 s deadline.
 */
public final class TestInference {

	private TestInference() {
	}

	public static InferenceService service(ModelRegistry registry, InputPolicies policies, MeterRegistry meters) {
		return new InferenceService(registry, Duration.ofSeconds(5), policies, new Plugins(List.of()),
				new ClientRateLimiters(RateLimiterRegistry.ofDefaults(), new RateLimitProperties(false, 100),
						System::nanoTime),
				CircuitBreakerRegistry.ofDefaults(), Map.of(), meters, Tracer.NOOP);
	}

}
