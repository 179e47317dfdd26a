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
 * @param maxQueueTime a request whose predicted wait is longer is refused at once (zero:
 * no bound by time, only by {@code queueCapacity})
 * @param priorityLead how far ahead of its flow's fair place each step of priority moves
 * a task, in predicted work
 * @param maxBatchTokens a batch holds at most this many padded positions (rows × padded
 * length; a task longer than that runs alone), so that a batch of long texts costs no
 * more than one of short ones; zero: bounded by {@code maxBatchSize} alone
 */
public record BatchingOptions(int maxBatchSize, Duration maxQueueDelay, int queueCapacity, List<Integer> allowedLengths,
		Duration maxQueueTime, Duration priorityLead, int maxBatchTokens) {

	/** The lead of one step of priority unless configured. */
	public static final Duration DEFAULT_PRIORITY_LEAD = Duration.ofMillis(10);

	/** Options without a bound by time. */
	public BatchingOptions(int maxBatchSize, Duration maxQueueDelay, int queueCapacity, List<Integer> allowedLengths) {
		this(maxBatchSize, maxQueueDelay, queueCapacity, allowedLengths, Duration.ZERO, DEFAULT_PRIORITY_LEAD, 0);
	}

	/** Options without a bound by tokens. */
	public BatchingOptions(int maxBatchSize, Duration maxQueueDelay, int queueCapacity, List<Integer> allowedLengths,
			Duration maxQueueTime, Duration priorityLead) {
		this(maxBatchSize, maxQueueDelay, queueCapacity, allowedLengths, maxQueueTime, priorityLead, 0);
	}

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
		if (maxBatchTokens < 0) {
			throw new IllegalArgumentException("maxBatchTokens must not be negative, got " + maxBatchTokens);
		}
		if (maxQueueTime.isNegative() || priorityLead.isNegative()) {
			throw new IllegalArgumentException(
					"maxQueueTime and priorityLead must not be negative, got " + maxQueueTime + " and " + priorityLead);
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

	/**
	 * How many rows a batch padded to {@code paddedLength} may hold:
	 * {@code maxBatchSize}, fewer where {@code maxBatchTokens} says so, and at least one.
	 */
	public int rowsFitting(int paddedLength) {
		if (this.maxBatchTokens == 0) {
			return this.maxBatchSize;
		}
		return Math.max(1, Math.min(this.maxBatchSize, this.maxBatchTokens / paddedLength));
	}

}
