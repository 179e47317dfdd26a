package io.eino.serving.batching;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One unit of work for a batch: an opaque input (the scheduler never looks inside), its
 * length along the padded dimension, a deadline, a priority, the flow it belongs to (the
 * client it is for: flows share a queue fairly), and the future its result completes.
 *
 * <p>
 * Cancelling the future (the client went away) makes the scheduler drop the task before
 * it runs. Thread safe.
 *
 * @param <I> the input type
 * @param <O> the result type
 */
public final class BatchTask<I, O> {

	/** The priority of ordinary work; higher runs first, equal priorities in order. */
	public static final int NORMAL_PRIORITY = 0;

	/** The flow of tasks that name none. */
	public static final String ANONYMOUS_FLOW = "";

	private final I input;

	private final int length;

	private final long deadlineNanos;

	private final int priority;

	private final String flow;

	private final CompletableFuture<O> result = new CompletableFuture<>();

	/** Null, a listener waiting for the start, or {@link #STARTED}. */
	private final AtomicReference<Object> start = new AtomicReference<>();

	private static final Object STARTED = new Object();

	long sequence;

	long enqueuedNanos;

	/** Predicted run time of this task (its share of a full batch), set at admission. */
	long workNanos;

	/** What the caller attached (a trace context), for observers of batches. */
	private volatile Object attachment;

	/** Set when it starts running: the rows of its batch, and its wait in the queue. */
	private volatile int batchSize;

	private volatile long queueNanos;

	/** Its start tag in the queue's virtual time (start-time fair queueing). */
	long startTag;

	/** What orders it in its bucket: the start tag less its priority's lead. */
	long orderKey;

	/**
	 * @param input what the processor will run
	 * @param length the task's length along the padded dimension (tokens)
	 * @param deadlineNanos the clock reading after which it must not start
	 * @param priority higher first
	 */
	public BatchTask(I input, int length, long deadlineNanos, int priority) {
		this(input, length, deadlineNanos, priority, ANONYMOUS_FLOW);
	}

	/**
	 * @param input what the processor will run
	 * @param length the task's length along the padded dimension (tokens)
	 * @param deadlineNanos the clock reading after which it must not start
	 * @param priority higher first, within a bounded lead
	 * @param flow who the task is for; tasks of one flow keep their order, flows share
	 * the runners fairly
	 */
	public BatchTask(I input, int length, long deadlineNanos, int priority, String flow) {
		if (length < 1) {
			throw new IllegalArgumentException("A task's length must be at least 1, got " + length);
		}
		this.input = input;
		this.length = length;
		this.deadlineNanos = deadlineNanos;
		this.priority = priority;
		this.flow = flow;
	}

	public I input() {
		return this.input;
	}

	public int length() {
		return this.length;
	}

	public long deadlineNanos() {
		return this.deadlineNanos;
	}

	public int priority() {
		return this.priority;
	}

	public String flow() {
		return this.flow;
	}

	/** When the queue admitted it, on the scheduler's clock. */
	public long enqueuedNanos() {
		return this.enqueuedNanos;
	}

	/** Attaches an opaque object (a request's trace context) before it is submitted. */
	public void attach(Object attachment) {
		this.attachment = attachment;
	}

	public Object attachment() {
		return this.attachment;
	}

	/** The rows of the batch it ran in; 0 until it started. */
	public int batchSize() {
		return this.batchSize;
	}

	/** How long it waited in the queue; 0 until it started. */
	public long queueNanos() {
		return this.queueNanos;
	}

	public CompletableFuture<O> result() {
		return this.result;
	}

	/**
	 * Runs {@code listener} once when the task starts running, on the runner's thread, or
	 * at once if it has started; never if it never runs. One listener per task.
	 */
	public void whenStarted(Runnable listener) {
		if (!this.start.compareAndSet(null, listener)) {
			if (this.start.get() != STARTED) {
				throw new IllegalStateException("A task takes one start listener");
			}
			listener.run();
		}
	}

	/**
	 * The runner took the task: records how long it waited and the size of its batch, and
	 * runs its start listener, if any.
	 */
	public void markStarted(int batchSize, long queueNanos) {
		this.batchSize = batchSize;
		this.queueNanos = queueNanos;
		Object previous = this.start.getAndSet(STARTED);
		if (previous instanceof Runnable listener) {
			listener.run();
		}
	}

	/** Gives up on the task; if it has not started it never will. */
	public void cancel() {
		this.result.cancel(false);
	}

	boolean isFinished() {
		return this.result.isDone();
	}

	/** When the longest-waiting of {@code tasks} (not empty) was enqueued. */
	static long oldestEnqueued(Iterable<? extends BatchTask<?, ?>> tasks) {
		long oldest = Long.MAX_VALUE;
		boolean first = true;
		for (BatchTask<?, ?> task : tasks) {
			if (first || task.enqueuedNanos - oldest < 0) {
				oldest = task.enqueuedNanos;
				first = false;
			}
		}
		return oldest;
	}

}
