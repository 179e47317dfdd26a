package io.eino.serving.batching;

/**
 * Runs closed batches: the runners of one model version. The scheduler closes a batch
 * only when {@link #hasCapacity()} says one can start, so that under load tasks keep
 * gathering into fuller batches instead of waiting in closed ones.
 *
 * @param <I> the input type
 * @param <O> the result type
 */
public interface BatchProcessor<I, O> {

	/** How many batches run side by side at most (runners). */
	default int parallelism() {
		return 1;
	}

	/** Whether a batch handed over now would start without waiting. */
	boolean hasCapacity();

	/**
	 * Starts running {@code batch}, elsewhere: it must return without blocking, and
	 * finish every task of the batch later, report the run with
	 * {@link Batch#finished(int, long)}, then call {@link BatchScheduler#wakeUp()} so
	 * that the next batch can close.
	 */
	void process(Batch<I, O> batch);

}
