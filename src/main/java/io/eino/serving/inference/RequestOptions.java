package io.eino.serving.inference;

import java.time.Duration;

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
}
