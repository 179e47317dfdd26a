package io.eino.serving.inference;

import java.time.Duration;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.error.Rule;
import io.eino.serving.validation.InvalidInputException;

/**
 * What one request asks of scheduling, and who sent it.
 *
 * @param timeout how long it may wait before it must have started; null for the
 * configured default
 * @param priority higher runs first; equal priorities in arrival order
 * @param client who sent it, as rate limits, fair admission and plugins see it (never an
 * API key itself)
 * @param quota the client's own rate limit (requests per period), or null for the model's
 * @param traceId the request's trace id
 */
public record RequestOptions(Duration timeout, int priority, String client, Integer quota, String traceId) {

	/** The priority of a request that names none. */
	public static final int NORMAL_PRIORITY = BatchTask.NORMAL_PRIORITY;

	/**
	 * A whole number a request header (or gRPC metadata) carries, within bounds.
	 * @throws InvalidInputException ({@code invalid-header}) when it is not
	 */
	public static long bounded(String header, String value, long min, long max) {
		try {
			long parsed = Long.parseLong(value.trim());
			if (parsed >= min && parsed <= max) {
				return parsed;
			}
		}
		catch (NumberFormatException ex) {
			// reported below
		}
		throw new InvalidInputException(Rule.INVALID_HEADER,
				header + " must be a whole number from " + min + " to " + max);
	}

}
