package io.eino.serving.batching;

import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;

import java.time.Duration;

/**
 * Work the batching layer did not run: the queue was full or closed, or the task's
 * deadline passed while it waited. Capacity failures: the caller should retry later.
 */
public abstract class BatchingException extends ServingException {

	protected BatchingException(Rule rule, String message) {
		super(rule, message);
	}

	/** The queue holds {@code queueCapacity} tasks already; nothing was admitted. */
	public static final class QueueFull extends BatchingException {

		public QueueFull(String queue, int capacity) {
			super(Rule.QUEUE_FULL, "The queue of " + queue + " is full (" + capacity + " waiting)");
		}

	}

	/**
	 * The request would wait longer than the queue's bound by time (or its own deadline):
	 * the work queued ahead of it, counted fairly, is predicted to take {@code predicted}
	 * on the version's runners. Nothing was admitted.
	 */
	public static final class Overloaded extends BatchingException {

		private final Duration retryAfter;

		/**
		 * @param byDeadline whether the limit is the request's own deadline rather than
		 * the queue's bound
		 */
		public Overloaded(String queue, Duration predicted, Duration limit, boolean byDeadline, Duration retryAfter) {
			super(Rule.OVERLOADED,
					"The model is busy: this request would wait about " + predicted.toMillis() + " ms in the queue of "
							+ queue + ", more than the " + limit.toMillis() + " ms it may wait ("
							+ (byDeadline ? "its deadline" : "eino.admission.max-queue-time") + "); retry in "
							+ retryAfter.toSeconds() + " s");
			this.retryAfter = retryAfter;
		}

		/** When the work queued ahead of it is predicted to have drained enough. */
		public Duration retryAfter() {
			return this.retryAfter;
		}

	}

	/** The queue was closed (its model version is going away); nothing was admitted. */
	public static final class QueueClosed extends BatchingException {

		public QueueClosed(String queue) {
			super(Rule.QUEUE_CLOSED, "The queue of " + queue + " is closed");
		}

	}

	/** The task's deadline passed before it could run; it was dropped unrun. */
	public static final class DeadlineExceeded extends BatchingException {

		public DeadlineExceeded(String queue, long waitedMillis) {
			super(Rule.DEADLINE_EXCEEDED, "The request's deadline passed after " + waitedMillis + " ms in the queue of "
					+ queue + "; it was not run");
		}

	}

}
