package io.eino.serving.batching;

/**
 * Work the batching layer did not run: the queue was full or closed, or the task's
 * deadline passed while it waited. Capacity failures: the caller should retry later.
 */
public abstract class BatchingException extends RuntimeException {

	protected BatchingException(String message) {
		super(message);
	}

	/** The queue holds {@code queueCapacity} tasks already; nothing was admitted. */
	public static final class QueueFull extends BatchingException {

		public QueueFull(String queue, int capacity) {
			super("The queue of " + queue + " is full (" + capacity + " waiting)");
		}

	}

	/** The queue was closed (its model version is going away); nothing was admitted. */
	public static final class QueueClosed extends BatchingException {

		public QueueClosed(String queue) {
			super("The queue of " + queue + " is closed");
		}

	}

	/** The task's deadline passed before it could run; it was dropped unrun. */
	public static final class DeadlineExceeded extends BatchingException {

		public DeadlineExceeded(String queue, long waitedMillis) {
			super("The request's deadline passed after " + waitedMillis + " ms in the queue of " + queue
					+ "; it was not run");
		}

	}

}
