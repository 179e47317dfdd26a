package io.eino.serving.error;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The {@code eino.errors} counter, tagged by {@code tier} and {@code rule}: every refused
 * or failed request is counted once, where it becomes a problem. Every {@link Rule} is
 * registered at zero from the start, so each is visible before it first fires. Thread
 * safe.
 */
public final class ErrorMetrics {

	private final Map<Rule, Counter> counters = new EnumMap<>(Rule.class);

	public ErrorMetrics(MeterRegistry registry) {
		for (Rule rule : Rule.values()) {
			String tier = rule.tier().name().toLowerCase(Locale.ROOT);
			this.counters.put(rule,
					Counter.builder("eino.errors")
						.description("Refused or failed requests by error tier and the rule that failed")
						.tags("tier", tier, "rule", rule.slug())
						.register(registry));
		}
	}

	public void count(Failure failure) {
		this.counters.get(failure.rule()).increment();
	}

	/** How often a rule fired (for tests and diagnostics). */
	public double count(Rule rule) {
		return this.counters.get(rule).count();
	}

}
