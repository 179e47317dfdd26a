package io.eino.serving.ratelimit;

import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;

import java.time.Duration;

/**
 * A client went over its rate limit for a model (error tier "capacity", 429).
 */
public class RateLimitedException extends ServingException {

	private final int limit;

	private final Duration period;

	private final Duration retryAfter;

	/**
	 * @param limit requests per period the client is allowed now
	 * @param period the limit's refresh period
	 * @param retryAfter when the next permit is free
	 */
	public RateLimitedException(String model, int limit, Duration period, Duration retryAfter) {
		super(Rule.RATE_LIMIT, "Rate limit of model '" + model + "' reached: " + limit + " requests per " + period
				+ " for this client");
		this.limit = limit;
		this.period = period;
		this.retryAfter = retryAfter;
	}

	public int limit() {
		return this.limit;
	}

	public Duration period() {
		return this.period;
	}

	public Duration retryAfter() {
		return this.retryAfter;
	}

}
