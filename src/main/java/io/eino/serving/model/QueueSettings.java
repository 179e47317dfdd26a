package io.eino.serving.model;

import java.time.Duration;
import java.util.List;

import io.eino.serving.batching.BatchingOptions;

/**
 * How a version's queue forms batches, as the version describes itself to its metadata:
 * the settings it was built with, whichever protocol asks.
 *
 * @param maxBatchSize the most rows a batch holds
 * @param maxBatchTokens the most padded positions a batch holds; 0 for no bound
 * @param maxQueueDelay how long a batch waits to fill
 * @param queueCapacity the most rows waiting
 * @param allowedLengths the lengths a batch may be padded to
 */
public record QueueSettings(int maxBatchSize, int maxBatchTokens, Duration maxQueueDelay, int queueCapacity,
		List<Integer> allowedLengths) {

	/** The settings of a queue built with {@code options}; null for null. */
	public static QueueSettings of(BatchingOptions options) {
		return (options != null) ? new QueueSettings(options.maxBatchSize(), options.maxBatchTokens(),
				options.maxQueueDelay(), options.queueCapacity(), options.allowedLengths()) : null;
	}

}
