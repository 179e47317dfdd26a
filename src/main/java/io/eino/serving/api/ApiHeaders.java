package io.eino.serving.api;

import java.time.Duration;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.inference.InvalidInputException;
import io.eino.serving.inference.RequestOptions;

import org.springframework.http.HttpHeaders;

/**
 * Headers of the public API.
 */
final class ApiHeaders {

	/** The model version that computed an inference response. */
	static final String MODEL_VERSION = "Eino-Model-Version";

	/**
	 * A request's own deadline in milliseconds (1 to 600000): work not started by then is
	 * dropped with a 503.
	 */
	static final String TIMEOUT_MILLIS = "Eino-Timeout-Ms";

	/** A request's priority, -9 to 9 (default 0): higher runs first. */
	static final String PRIORITY = "Eino-Priority";

	private static final long MAX_TIMEOUT_MILLIS = 600_000;

	private static final int MAX_PRIORITY = 9;

	private ApiHeaders() {
	}

	static RequestOptions requestOptions(HttpHeaders headers) {
		Duration timeout = null;
		String timeoutValue = headers.getFirst(TIMEOUT_MILLIS);
		if (timeoutValue != null) {
			long millis = parse(TIMEOUT_MILLIS, timeoutValue, 1, MAX_TIMEOUT_MILLIS);
			timeout = Duration.ofMillis(millis);
		}
		int priority = BatchTask.NORMAL_PRIORITY;
		String priorityValue = headers.getFirst(PRIORITY);
		if (priorityValue != null) {
			priority = (int) parse(PRIORITY, priorityValue, -MAX_PRIORITY, MAX_PRIORITY);
		}
		return new RequestOptions(timeout, priority);
	}

	private static long parse(String header, String value, long min, long max) {
		try {
			long parsed = Long.parseLong(value.trim());
			if (parsed >= min && parsed <= max) {
				return parsed;
			}
		}
		catch (NumberFormatException ex) {
			// reported below
		}
		throw new InvalidInputException("invalid-header",
				"Header " + header + " must be a whole number from " + min + " to " + max);
	}

}
