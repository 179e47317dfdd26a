package io.eino.serving.runtime;

import java.util.List;

import io.eino.serving.batching.BatchTask;

/**
 * Told about every batch a version's runners ran: which tasks (with what their requests
 * attached to them), when it started and ended on the runner's clock
 * ({@link System#nanoTime()}), and how it failed, if it did. Called on the runner's
 * thread after the tasks' results are completed; it must be quick and must not throw. The
 * tracing of batches implements it (docs/operations.md, "Traces").
 */
@FunctionalInterface
public interface BatchObserver {

	/** Observes nothing. */
	BatchObserver NONE = (model, version, tasks, startNanos, endNanos, failure) -> {
	};

	/**
	 * @param failure why the run failed, or null
	 */
	void ran(String model, long version, List<? extends BatchTask<?, ?>> tasks, long startNanos, long endNanos,
			Throwable failure);

}
