package io.eino.serving.runtime;

import java.util.List;

/**
 * How one runner of a {@link RunnerPool} turns a batch's rows into their results on its
 * session: text rows padded into token tensors, or raw-tensor rows joined along the batch
 * dimension. Called on that runner's thread only, so it may keep buffers between batches.
 *
 * @param <I> a row's input
 * @param <O> a row's result
 */
public interface BatchRun<I, O> extends AutoCloseable {

	/**
	 * Runs {@code rows} as one session run.
	 * @param length the length the batch is padded to
	 * @return one result per row, in row order
	 */
	List<O> run(List<I> rows, int length);

	/** The real tokens of a row, for the batch metrics; one when rows have no length. */
	default long tokens(I row) {
		return 1;
	}

	/** Frees what it keeps between batches; its session stays open. */
	@Override
	default void close() {
	}

}
