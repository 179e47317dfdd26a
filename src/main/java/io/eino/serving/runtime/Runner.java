package io.eino.serving.runtime;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One runner of a {@link RunnerPool}: a session, the batch run that feeds it, and the one
 * thread that runs both, with its load (batches and unbatched calls waiting for or on it)
 * and the busy time it has had.
 */
final class Runner<I, O> {

	final SavedModelRunner session;

	final BatchRun<I, O> work;

	/** Batches and calls waiting for or on it. */
	final AtomicInteger outstanding = new AtomicInteger();

	/** Batches waiting for or on it: it takes a new batch only when it has none. */
	final AtomicInteger batches = new AtomicInteger();

	final AtomicLong busyNanos = new AtomicLong();

	private final ExecutorService thread;

	Runner(SavedModelRunner session, BatchRun<I, O> work, String threadName) {
		this.session = session;
		this.work = work;
		this.thread = Executors.newSingleThreadExecutor((task) -> {
			Thread thread = new Thread(task, threadName);
			thread.setDaemon(true);
			return thread;
		});
	}

	/**
	 * Runs {@code task} on its thread, after what it already holds.
	 * @return false when the runner is closed and did not take it
	 */
	boolean execute(Runnable task) {
		try {
			this.thread.execute(task);
			return true;
		}
		catch (RejectedExecutionException ex) {
			return false;
		}
	}

	/** Runs {@code task} on its thread and returns its future, for direct runs. */
	<T> java.util.concurrent.Future<T> submit(java.util.concurrent.Callable<T> task) {
		return this.thread.submit(task);
	}

	/** Stops taking work; what it took still runs. */
	void shutdown() {
		this.thread.shutdown();
	}

	/** Waits for the work it took, then frees the batch run and closes the session. */
	void close() {
		try {
			this.thread.awaitTermination(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		this.work.close();
		this.session.close();
	}

}
