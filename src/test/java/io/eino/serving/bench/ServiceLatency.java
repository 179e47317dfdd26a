package io.eino.serving.bench;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the service's own histogram says of the successful requests of a scenario: the
 * counts per bucket of {@code eino_request_duration_seconds{outcome="ok"}} (all models),
 * read from the Prometheus scrape before and after it.
 */
final class ServiceLatency {

	private static final Pattern BUCKET = Pattern
		.compile("^eino_request_duration_seconds_bucket\\{(?=[^}]*outcome=\"ok\")[^}]*le=\"([^\"]+)\"[^}]*} (\\S+)$");

	private ServiceLatency() {
	}

	/** Cumulative counts by upper bound (seconds), summed over models and versions. */
	static Map<Double, Double> snapshot(ServiceProcess service) throws IOException, InterruptedException {
		Map<Double, Double> buckets = new TreeMap<>();
		for (String line : service.get("/actuator/prometheus").split("\n")) {
			Matcher bucket = BUCKET.matcher(line);
			if (bucket.matches()) {
				double bound = bucket.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY
						: Double.parseDouble(bucket.group(1));
				buckets.merge(bound, Double.parseDouble(bucket.group(2)), Double::sum);
			}
		}
		return buckets;
	}

	/**
	 * The share of the successes between the snapshots that took at most {@code bound}.
	 */
	static double within(Map<Double, Double> before, Map<Double, Double> after, double bound) {
		double total = delta(before, after, Double.POSITIVE_INFINITY);
		return (total == 0) ? Double.NaN : delta(before, after, bound) / total;
	}

	/**
	 * The smallest bucket bound that holds 99 % of the successes between the snapshots.
	 */
	static double p99Bound(Map<Double, Double> before, Map<Double, Double> after) {
		double total = delta(before, after, Double.POSITIVE_INFINITY);
		for (double bound : after.keySet()) {
			if (delta(before, after, bound) >= 0.99 * total) {
				return bound;
			}
		}
		return Double.NaN;
	}

	private static double delta(Map<Double, Double> before, Map<Double, Double> after, double bound) {
		return after.getOrDefault(bound, 0.0) - before.getOrDefault(bound, 0.0);
	}

}
