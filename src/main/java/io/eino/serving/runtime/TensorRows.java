package io.eino.serving.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tensors split into their rows (slices of the first dimension) and rows joined back into
 * tensors: the tensor half of batching raw-tensor requests (TF Serving's batching session
 * concatenates and splits the same way). Knows nothing about queues.
 */
public final class TensorRows {

	private TensorRows() {
	}

	/** The first dimension's size; the tensor must have rank 1 or more. */
	public static int rows(HostTensor tensor) {
		if (tensor.shape().length == 0) {
			throw new IllegalArgumentException("A scalar has no rows");
		}
		return Math.toIntExact(tensor.shape()[0]);
	}

	/** Each row as a tensor of first dimension 1. */
	public static List<HostTensor> split(HostTensor tensor) {
		int rows = rows(tensor);
		long[] shape = tensor.shape().clone();
		shape[0] = 1;
		int stride = (rows == 0) ? 0 : Math.toIntExact(tensor.size() / rows);
		List<HostTensor> split = new ArrayList<>(rows);
		for (int row = 0; row < rows; row++) {
			split.add(tensor.slice(shape, row * stride, stride));
		}
		return split;
	}

	/**
	 * The parts joined along the first dimension.
	 * @throws IllegalArgumentException if they differ in type or in any other dimension
	 */
	public static HostTensor concat(List<HostTensor> parts) {
		HostTensor first = parts.get(0);
		long rows = 0;
		for (HostTensor part : parts) {
			if (!part.datatype().equals(first.datatype()) || part.shape().length != first.shape().length
					|| !Arrays.equals(part.shape(), 1, part.shape().length, first.shape(), 1, first.shape().length)) {
				throw new IllegalArgumentException("Cannot join " + part.datatype() + Arrays.toString(part.shape())
						+ " to " + first.datatype() + Arrays.toString(first.shape()));
			}
			rows += part.shape()[0];
		}
		long[] shape = first.shape().clone();
		shape[0] = rows;
		int size = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
		if (first instanceof HostTensor.Float32) {
			float[] values = new float[size];
			int at = 0;
			for (HostTensor part : parts) {
				float[] piece = ((HostTensor.Float32) part).values();
				System.arraycopy(piece, 0, values, at, piece.length);
				at += piece.length;
			}
			return new HostTensor.Float32(shape, values);
		}
		if (first instanceof HostTensor.Int64) {
			long[] values = new long[size];
			int at = 0;
			for (HostTensor part : parts) {
				long[] piece = ((HostTensor.Int64) part).values();
				System.arraycopy(piece, 0, values, at, piece.length);
				at += piece.length;
			}
			return new HostTensor.Int64(shape, values);
		}
		Object[] elements = new Object[size];
		int at = 0;
		for (HostTensor part : parts) {
			for (int i = 0; i < part.size(); i++) {
				elements[at++] = part.element(i);
			}
		}
		return of(first, shape, elements);
	}

	/** A tensor of {@code like}'s type from boxed elements. */
	private static HostTensor of(HostTensor like, long[] shape, Object[] elements) {
		int size = elements.length;
		if (like instanceof HostTensor.Bool) {
			boolean[] values = new boolean[size];
			for (int i = 0; i < size; i++) {
				values[i] = (Boolean) elements[i];
			}
			return new HostTensor.Bool(shape, values);
		}
		if (like instanceof HostTensor.Int32 || like instanceof HostTensor.SmallInt) {
			int[] values = new int[size];
			for (int i = 0; i < size; i++) {
				values[i] = (Integer) elements[i];
			}
			return (like instanceof HostTensor.SmallInt small)
					? new HostTensor.SmallInt(small.datatype(), shape, values) : new HostTensor.Int32(shape, values);
		}
		if (like instanceof HostTensor.Half half) {
			float[] values = new float[size];
			for (int i = 0; i < size; i++) {
				values[i] = (Float) elements[i];
			}
			return new HostTensor.Half(half.datatype(), shape, values);
		}
		if (like instanceof HostTensor.Float64) {
			double[] values = new double[size];
			for (int i = 0; i < size; i++) {
				values[i] = (Double) elements[i];
			}
			return new HostTensor.Float64(shape, values);
		}
		byte[][] values = new byte[size][];
		for (int i = 0; i < size; i++) {
			values[i] = (byte[]) elements[i];
		}
		return new HostTensor.Bytes(shape, values);
	}

}
