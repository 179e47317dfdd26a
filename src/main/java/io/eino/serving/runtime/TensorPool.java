package io.eino.serving.runtime;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TInt64;

/**
 * Native int64 input tensors kept for reuse, by size class: the exact batch shape
 * {@code [rows, length]}, of which there are at most {@code maxBatchSize × allowed
 * lengths}. TensorFlow allocates them 64-byte aligned (its CPU allocator's alignment,
 * what its vectorised kernels want), once; after that a batch only writes into them.
 *
 * <p>
 * Not thread safe: each runner thread owns one pool. A tensor is handed back only after
 * the session run that read it has returned and its results are closed, so TensorFlow
 * holds no reference to it. {@link #close()} frees every tensor.
 */
public final class TensorPool implements AutoCloseable {

	private final Map<Long, Deque<TInt64>> free = new HashMap<>();

	/** A {@code [rows, length]} tensor, reused when one is free. */
	public TInt64 take(int rows, int length) {
		Deque<TInt64> tensors = this.free.get(key(rows, length));
		TInt64 tensor = (tensors != null) ? tensors.pollFirst() : null;
		if (tensor == null) {
			tensor = TInt64.tensorOf(Shape.of(rows, length));
		}
		return tensor;
	}

	/** Returns a tensor from {@link #take} for reuse. */
	public void give(TInt64 tensor) {
		long[] shape = tensor.shape().asArray();
		this.free.computeIfAbsent(key((int) shape[0], (int) shape[1]), (key) -> new ArrayDeque<>()).addFirst(tensor);
	}

	private static long key(int rows, int length) {
		return ((long) rows << 32) | length;
	}

	@Override
	public void close() {
		this.free.values().forEach((tensors) -> tensors.forEach(TInt64::close));
		this.free.clear();
	}

}
