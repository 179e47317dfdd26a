package io.eino.serving.batching;

import java.time.Duration;
import java.util.List;

/**
 * How one queue forms batches.
 *
 * @param maxBatchSize a batch closes when it holds this many tasks
 * @param maxQueueDelay a batch closes when its oldest task has waited this long (zero: as
 * soon as a runner is free, taking whatever has queued meanwhile)
 * @param queueCapacity tasks admitted and not yet dispatched; more is refused at once
 * @param allowedLengths the lengths a batch may be padded to, ascending; a task longer
 * than the last is padded to its own length
 */
public record BatchingOptions(int maxBatchSize, Duration maxQueueDelay, int queueCapacity,
		List<Integer> allowedLengths) {

	public BatchingOptions {
		if (maxBatchSize < 1) {
			throw new IllegalArgumentException("maxBatchSize must be at least 1, got " + maxBatchSize);
		}
		if (maxQueueDelay.isNegative()) {
			throw new IllegalArgumentException("maxQueueDelay must not be negative, got " + maxQueueDelay);
		}
		if (queueCapacity < 1) {
			throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
		}
		allowedLengths = List.copyOf(allowedLengths);
		if (allowedLengths.isEmpty()) {
			throw new IllegalArgumentException("allowedLengths must name at least one length");
		}
		for (int i = 0; i < allowedLengths.size(); i++) {
			if (allowedLengths.get(i) < 1 || (i > 0 && allowedLengths.get(i) <= allowedLengths.get(i - 1))) {
				throw new IllegalArgumentException(
						"allowedLengths must be positive and ascending, got " + allowedLengths);
			}
		}
	}

	/** The index of the smallest allowed length at least {@code length}. */
	int bucketOf(int length) {
		for (int i = 0; i < this.allowedLengths.size(); i++) {
			if (this.allowedLengths.get(i) >= length) {
				return i;
			}
		}
		return this.allowedLengths.size() - 1;
	}

	/** The length a batch whose longest task has {@code length} is padded to. */
	public int paddedLength(int length) {
		return Math.max(length, this.allowedLengths.get(bucketOf(length)));
	}

}
