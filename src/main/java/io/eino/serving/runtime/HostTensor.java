package io.eino.serving.runtime;

import java.util.Arrays;

/**
 * A tensor in Java memory, the only tensor type that crosses the runtime's boundary:
 * callers never see TensorFlow types, and the runtime owns (and closes) every native
 * tensor. One record per element storage; {@link #datatype()} names the element type as
 * the Open Inference Protocol does (docs/protocols.md, "Datatypes").
 */
public sealed interface HostTensor permits HostTensor.Bool, HostTensor.SmallInt, HostTensor.Int32, HostTensor.Int64,
		HostTensor.Half, HostTensor.Float32, HostTensor.Float64, HostTensor.Bytes {

	long[] shape();

	/** Number of elements, the product of the shape. */
	default long size() {
		return Arrays.stream(shape()).reduce(1, Math::multiplyExact);
	}

	/** The tensor's element type. */
	Datatype datatype();

	/**
	 * Element {@code index} (row-major) as a plain Java value: Boolean, Integer, Long,
	 * Float, Double, or byte[] for BYTES.
	 */
	Object element(int index);

	/**
	 * Elements {@code [from, from + count)}, row-major, as a tensor of {@code shape}: a
	 * batch's rows split back out.
	 */
	HostTensor slice(long[] shape, int from, int count);

	/** A boolean tensor. */
	record Bool(long[] shape, boolean[] values) implements HostTensor {

		public Bool {
			checkSize(shape, values.length);
		}

		@Override
		public Datatype datatype() {
			return Datatype.BOOL;
		}

		@Override
		public Object element(int index) {
			return this.values[index];
		}

		@Override
		public HostTensor slice(long[] shape, int from, int count) {
			return new Bool(shape, Arrays.copyOfRange(this.values, from, from + count));
		}

	}

	/**
	 * An unsigned 8- or 16-bit integer tensor ({@code UINT8}, {@code UINT16}), its
	 * elements widened to int and checked against the type's range.
	 */
	record SmallInt(Datatype datatype, long[] shape, int[] values) implements HostTensor {

		public SmallInt {
			checkSize(shape, values.length);
			int max = switch (datatype) {
				case UINT8 -> 0xFF;
				case UINT16 -> 0xFFFF;
				default -> throw new IllegalArgumentException("Not a small integer type: " + datatype);
			};
			for (int value : values) {
				if (value < 0 || value > max) {
					throw new IllegalArgumentException(value + " is out of range for " + datatype);
				}
			}
		}

		@Override
		public Object element(int index) {
			return this.values[index];
		}

		@Override
		public HostTensor slice(long[] shape, int from, int count) {
			return new SmallInt(this.datatype, shape, Arrays.copyOfRange(this.values, from, from + count));
		}

	}

	/** An int32 tensor. */
	record Int32(long[] shape, int[] values) implements HostTensor {

		public Int32 {
			checkSize(shape, values.length);
		}

		@Override
		public Datatype datatype() {
			return Datatype.INT32;
		}

		@Override
		public Object element(int index) {
			return this.values[index];
		}

		@Override
		public HostTensor slice(long[] shape, int from, int count) {
			return new Int32(shape, Arrays.copyOfRange(this.values, from, from + count));
		}

	}

	/** An int64 tensor. */
	record Int64(long[] shape, long[] values) implements HostTensor {

		public Int64 {
			checkSize(shape, values.length);
		}

		@Override
		public Datatype datatype() {
			return Datatype.INT64;
		}

		@Override
		public Object element(int index) {
			return this.values[index];
		}

		@Override
		public HostTensor slice(long[] shape, int from, int count) {
			return new Int64(shape, Arrays.copyOfRange(this.values, from, from + count));
		}

	}

	/**
	 * A 16-bit float tensor ({@code FP16} or {@code BF16}), its elements held as float:
	 * TensorFlow rounds them to the narrow type when the tensor is made.
	 */
	record Half(Datatype datatype, long[] shape, float[] values) implements HostTensor {

		public Half {
			checkSize(shape, values.length);
			if (datatype != Datatype.FP16 && datatype != Datatype.BF16) {
				throw new IllegalArgumentException("Not a 16-bit float type: " + datatype);
			}
		}

		@Override
		public Object element(int index) {
			return this.values[index];
		}

		@Override
		public HostTensor slice(long[] shape, int from, int count) {
			return new Half(this.datatype, shape, Arrays.copyOfRange(this.values, from, from + count));
		}

	}

	/** A float32 tensor. */
	record Float32(long[] shape, float[] values) implements HostTensor {

		public Float32 {
			checkSize(shape, values.length);
		}

		@Override
		public Datatype datatype() {
			return Datatype.FP32;
		}

		@Override
		public Object element(int index) {
			return this.values[index];
		}

		@Override
		public HostTensor slice(long[] shape, int from, int count) {
			return new Float32(shape, Arrays.copyOfRange(this.values, from, from + count));
		}

		/** Row {@code index} of a 2-D tensor. */
		public float[] row(int index) {
			int width = (int) this.shape[1];
			return Arrays.copyOfRange(this.values, index * width, (index + 1) * width);
		}

	}

	/** A float64 tensor. */
	record Float64(long[] shape, double[] values) implements HostTensor {

		public Float64 {
			checkSize(shape, values.length);
		}

		@Override
		public Datatype datatype() {
			return Datatype.FP64;
		}

		@Override
		public Object element(int index) {
			return this.values[index];
		}

		@Override
		public HostTensor slice(long[] shape, int from, int count) {
			return new Float64(shape, Arrays.copyOfRange(this.values, from, from + count));
		}

	}

	/** A tensor of byte strings (TensorFlow's {@code DT_STRING}, OIP's {@code BYTES}). */
	record Bytes(long[] shape, byte[][] values) implements HostTensor {

		public Bytes {
			checkSize(shape, values.length);
		}

		@Override
		public Datatype datatype() {
			return Datatype.BYTES;
		}

		@Override
		public Object element(int index) {
			return this.values[index];
		}

		@Override
		public HostTensor slice(long[] shape, int from, int count) {
			return new Bytes(shape, Arrays.copyOfRange(this.values, from, from + count));
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
