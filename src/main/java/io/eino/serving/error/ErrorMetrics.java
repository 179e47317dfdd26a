package io.eino.serving.error;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.eino.serving.client.ApiKeyException;
import io.eino.serving.model.ModelFailureException;
import io.eino.serving.validation.InputRule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The {@code eino.errors} counter, tagged by {@code tier} and {@code rule}: every refused
 * or failed request is counted once, where it becomes a problem. Every rule the service
 * knows is registered at zero from the start, so each is visible before it first fires.
 * Thread safe.
 */
public final class ErrorMetrics {

	private static final List<String> CAPACITY_RULES = List.of("rate-limit", "queue-full", Failure.OVERLOADED,
			"deadline-exceeded", "queue-closed");

	private static final List<String> MODEL_RULES = List.of("model-unavailable", "model-load",
			ModelFailureException.EXECUTION, ModelFailureException.OUTPUT);

	private final MeterRegistry registry;

	private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

	public ErrorMetrics(MeterRegistry registry) {
		this.registry = registry;
		for (InputRule rule : InputRule.values()) {
			counter(ErrorTier.INPUT, rule.slug());
		}
		counter(ErrorTier.INPUT, ApiKeyException.UNKNOWN);
		counter(ErrorTier.INPUT, ApiKeyException.MISSING);
		CAPACITY_RULES.forEach((rule) -> counter(ErrorTier.CAPACITY, rule));
		MODEL_RULES.forEach((rule) -> counter(ErrorTier.MODEL, rule));
		counter(ErrorTier.SYSTEM, Failure.INTERNAL);
		counter(ErrorTier.SYSTEM, Failure.DECRYPTION);
	}

	public void count(Failure failure) {
		counter(failure.tier(), failure.rule()).increment();
	}

	/** How often a rule fired (for tests and diagnostics). */
	public double count(ErrorTier tier, String rule) {
		return counter(tier, rule).count();
	}

	private Counter counter(ErrorTier tier, String rule) {
		String tierName = tier.name().toLowerCase(Locale.ROOT);
		return this.counters.computeIfAbsent(tierName + "/" + rule,
				(key) -> Counter.builder("eino.errors")
					.description("Refused or failed requests by error tier and the rule that failed")
					.tags("tier", tierName, "rule", rule)
					.register(this.registry));
	}

}
