package io.eino.serving.inference;

import java.util.Optional;

import io.eino.serving.model.ModelFailureException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

/**
 * One Resilience4j circuit breaker per model version, named {@code <model>@<version>}, on
 * the model's settings: {@code resilience4j.circuitbreaker.instances.<model>}, else
 * {@code resilience4j.circuitbreaker.configs.default}. Only model-tier failures
 * ({@link ModelFailureException}) count; input and capacity errors are ignored, so a
 * flood of bad requests never opens a breaker. Thread safe.
 */
final class ModelBreakers {

	private final CircuitBreakerRegistry registry;

	ModelBreakers(CircuitBreakerRegistry registry) {
		this.registry = registry;
	}

	CircuitBreaker of(String model, long version) {
		String name = model + "@" + version;
		Optional<CircuitBreaker> existing = this.registry.find(name);
		if (existing.isPresent()) {
			return existing.get();
		}
		// The model's settings are read before, not inside, the registry's
		// computeIfAbsent: a nested one on the same map fails ("Recursive update") when
		// the
		// two names share a bin.
		CircuitBreakerConfig config = CircuitBreakerConfig
			.from(this.registry.circuitBreaker(model).getCircuitBreakerConfig())
			.ignoreException((failure) -> !(failure instanceof ModelFailureException))
			.build();
		return this.registry.circuitBreaker(name, config);
	}

	/**
	 * Removes the breaker of a version that is no longer loaded (and its meters with it),
	 * so that retired versions leave nothing behind; a later build of that number starts
	 * closed.
	 */
	void forget(String model, long version) {
		this.registry.remove(model + "@" + version);
	}

	/** Whether a version's breaker lets calls through (closed or half open). */
	boolean admits(String model, long version) {
		CircuitBreaker.State state = of(model, version).getState();
		return state != CircuitBreaker.State.OPEN && state != CircuitBreaker.State.FORCED_OPEN;
	}

}
