package io.eino.serving.inference;

import io.eino.serving.model.ModelFailureException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ModelBreakersTest {

	/**
	 * "ops" and "ops@1" share a bin of the registry's map: reading the model's settings
	 * inside the version breaker's creation failed with "Recursive update" (found by the
	 * operations test, whose model is named "ops").
	 */
	@Test
	void createsTheBreakerOfAVersionWhoseNameSharesABinWithTheModels() {
		CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
		ModelBreakers breakers = new ModelBreakers(registry);
		CircuitBreaker breaker = breakers.of("ops", 1);
		assertThat(breaker.getName()).isEqualTo("ops@1");
		assertThat(breakers.of("ops", 1)).isSameAs(breaker);
	}

	@Test
	void aVersionTakesTheModelsSettingsAndCountsOnlyModelFailures() {
		CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
		registry.circuitBreaker("live", CircuitBreakerConfig.custom().minimumNumberOfCalls(2).build());
		ModelBreakers breakers = new ModelBreakers(registry);
		CircuitBreaker breaker = breakers.of("live", 3);
		assertThat(breaker.getCircuitBreakerConfig().getMinimumNumberOfCalls()).isEqualTo(2);
		breaker.onError(0, java.util.concurrent.TimeUnit.NANOSECONDS, new IllegalArgumentException("input"));
		breaker.onError(0, java.util.concurrent.TimeUnit.NANOSECONDS, new IllegalArgumentException("input"));
		assertThat(breakers.admits("live", 3)).isTrue();
		breaker.onError(0, java.util.concurrent.TimeUnit.NANOSECONDS,
				new ModelFailureException(ModelFailureException.EXECUTION, "run failed", null));
		breaker.onError(0, java.util.concurrent.TimeUnit.NANOSECONDS,
				new ModelFailureException(ModelFailureException.EXECUTION, "run failed", null));
		assertThat(breakers.admits("live", 3)).isFalse();
	}

}
