package io.eino.serving.inference;

import java.time.Duration;

import io.eino.serving.batching.BatchTask;

/**
 * What one request asks of scheduling.
 *
 * @param timeout how long it may wait before it must have started; null for the
 * configured default
 * @param priority higher runs first; equal priorities in arrival order
 */
public record RequestOptions(Duration timeout, int priority) {

	public static final RequestOptions DEFAULT = new RequestOptions(null, BatchTask.NORMAL_PRIORITY);

}
