package io.eino.serving.batching;

import java.util.List;

/**
 * Tasks closed into one run, and the length they are padded to. The processor owns it
 * once dispatched and must finish every task, by {@link #complete} or {@link #fail}.
 *
 * @param <I> the input type
 * @param <O> the result type
 */
public final class Batch<I, O> {

	private final List<BatchTask<I, O>> tasks;

	private final int paddedLength;

	private final BatchQueue<I, O> queue;

	private final long workNanos;

	Batch(List<BatchTask<I, O>> tasks, int paddedLength, BatchQueue<I, O> queue, long workNanos) {
		this.tasks = List.copyOf(tasks);
		this.paddedLength = paddedLength;
		this.queue = queue;
		this.workNanos = workNanos;
	}

	/** The run time its queue predicted for it at admission. */
	long workNanos() {
		return this.workNanos;
	}

	/**
	 * Reports the run, so that the queue's predictions follow the runners' real speed:
	 * called once by the processor when the batch is over, whatever its outcome.
	 * @param rowsRun the tasks that really ran (those cancelled before were left out); 0
	 * if none did
	 * @param nanos how long the run took
	 */
	public void finished(int rowsRun, long nanos) {
		if (this.queue != null) {
			this.queue.finished(this, rowsRun, nanos);
		}
	}

	public List<BatchTask<I, O>> tasks() {
		return this.tasks;
	}

	public List<I> inputs() {
		return this.tasks.stream().map(BatchTask::input).toList();
	}

	public int size() {
		return this.tasks.size();
	}

	/** The real tokens of its tasks, padding left out. */
	public long tokens() {
		long tokens = 0;
		for (BatchTask<I, O> task : this.tasks) {
			tokens += task.length();
		}
		return tokens;
	}

	/** Every task fits in it: at least the longest task's length. */
	public int paddedLength() {
		return this.paddedLength;
	}

	/** Completes each task with its result, in task order. */
	public void complete(List<O> results) {
		if (results.size() != this.tasks.size()) {
			fail(new IllegalStateException(
					"A batch of " + this.tasks.size() + " tasks produced " + results.size() + " results"));
			return;
		}
		for (int i = 0; i < results.size(); i++) {
			this.tasks.get(i).result().complete(results.get(i));
		}
	}

	public void fail(Throwable failure) {
		this.tasks.forEach((task) -> task.result().completeExceptionally(failure));
	}

}
