package io.eino.serving.runtime;

import java.util.Arrays;

/**
 * A tensor in Java memory, the only tensor type that crosses the runtime's boundary:
 * callers never see TensorFlow types, and the runtime owns (and closes) every native
 * tensor.
 */
public sealed interface HostTensor permits HostTensor.Int64, HostTensor.Float32 {

	long[] shape();

	/** Number of elements, the product of the shape. */
	default long size() {
		return Arrays.stream(shape()).reduce(1, Math::multiplyExact);
	}

	/** The tensor's type as Open Inference Protocol names it. */
	String datatype();

	/**
	 * An int64 tensor, row-major.
	 *
	 * @param shape the dimensions
	 * @param values the elements
	 */
	record Int64(long[] shape, long[] values) implements HostTensor {

		public Int64 {
			checkSize(shape, values.length);
		}

		@Override
		public String datatype() {
			return "INT64";
		}

	}

	/**
	 * A float32 tensor, row-major.
	 *
	 * @param shape the dimensions
	 * @param values the elements
	 */
	record Float32(long[] shape, float[] values) implements HostTensor {

		public Float32 {
			checkSize(shape, values.length);
		}

		@Override
		public String datatype() {
			return "FP32";
		}

		/** Row {@code index} of a 2-D tensor. */
		public float[] row(int index) {
			int width = (int) this.shape[1];
			return Arrays.copyOfRange(this.values, index * width, (index + 1) * width);
		}

	}

	private static void checkSize(long[] shape, int length) {
		long expected = 1;
		for (long dimension : shape) {
			if (dimension < 0) {
				throw new IllegalArgumentException("Negative dimension in shape " + Arrays.toString(shape));
			}
			expected = Math.multiplyExact(expected, dimension);
		}
		if (expected != length) {
			throw new IllegalArgumentException(
					"Shape " + Arrays.toString(shape) + " needs " + expected + " elements, got " + length);
		}
	}

}
