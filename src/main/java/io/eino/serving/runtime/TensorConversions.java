package io.eino.serving.runtime;

import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;

/**
 * {@link HostTensor}s to TensorFlow tensors and back, one datatype at a time. The caller
 * owns (and closes) every tensor made here.
 */
final class TensorConversions {

	private TensorConversions() {
	}

	static Tensor toTensor(HostTensor value) {
		Shape shape = Shape.of(value.shape());
		if (value instanceof HostTensor.Float32 floats) {
			return TFloat32.tensorOf(shape, DataBuffers.of(floats.values(), true, false));
		}
		if (value instanceof HostTensor.Int64 longs) {
			return TInt64.tensorOf(shape, DataBuffers.of(longs.values(), true, false));
		}
		if (value instanceof HostTensor.Int32 ints) {
			return TInt32.tensorOf(shape, DataBuffers.of(ints.values(), true, false));
		}
		if (value instanceof HostTensor.Float64 doubles) {
			return TFloat64.tensorOf(shape, DataBuffers.of(doubles.values(), true, false));
		}
		if (value instanceof HostTensor.Bool bools) {
			return TBool.tensorOf(shape, DataBuffers.of(bools.values(), true, false));
		}
		if (value instanceof HostTensor.Half half) {
			return half.datatype() == Datatype.BF16
					? TBfloat16.tensorOf(shape, DataBuffers.of(half.values(), true, false))
					: TFloat16.tensorOf(shape, DataBuffers.of(half.values(), true, false));
		}
		if (value instanceof HostTensor.SmallInt small) {
			int[] values = small.values();
			if (small.datatype() == Datatype.UINT8) {
				byte[] bytes = new byte[values.length];
				for (int i = 0; i < bytes.length; i++) {
					bytes[i] = (byte) values[i];
				}
				return TUint8.tensorOf(shape, DataBuffers.of(bytes, true, false));
			}
			short[] shorts = new short[values.length];
			for (int i = 0; i < shorts.length; i++) {
				shorts[i] = (short) values[i];
			}
			return TUint16.tensorOf(shape, DataBuffers.of(shorts, true, false));
		}
		return TString.tensorOfBytes(NdArrays.wrap(shape, DataBuffers.ofObjects(((HostTensor.Bytes) value).values())));
	}

	static HostTensor fromTensor(Tensor tensor, String name) {
		long[] shape = tensor.shape().asArray();
		int size = Math.toIntExact(tensor.size());
		if (tensor instanceof TFloat32 floats) {
			float[] values = new float[size];
			floats.asRawTensor().data().asFloats().read(values);
			return new HostTensor.Float32(shape, values);
		}
		if (tensor instanceof TInt64 longs) {
			long[] values = new long[size];
			longs.asRawTensor().data().asLongs().read(values);
			return new HostTensor.Int64(shape, values);
		}
		if (tensor instanceof TInt32 ints) {
			int[] values = new int[size];
			ints.asRawTensor().data().asInts().read(values);
			return new HostTensor.Int32(shape, values);
		}
		if (tensor instanceof TFloat64 doubles) {
			double[] values = new double[size];
			doubles.asRawTensor().data().asDoubles().read(values);
			return new HostTensor.Float64(shape, values);
		}
		if (tensor instanceof TBool bools) {
			boolean[] values = new boolean[size];
			bools.copyTo(DataBuffers.of(values, false, false));
			return new HostTensor.Bool(shape, values);
		}
		if (tensor instanceof TUint8 bytes) {
			byte[] raw = new byte[size];
			bytes.copyTo(DataBuffers.of(raw, false, false));
			int[] values = new int[size];
			for (int i = 0; i < size; i++) {
				values[i] = raw[i] & 0xFF;
			}
			return new HostTensor.SmallInt(Datatype.UINT8, shape, values);
		}
		if (tensor instanceof TUint16 shorts) {
			short[] raw = new short[size];
			shorts.copyTo(DataBuffers.of(raw, false, false));
			int[] values = new int[size];
			for (int i = 0; i < size; i++) {
				values[i] = raw[i] & 0xFFFF;
			}
			return new HostTensor.SmallInt(Datatype.UINT16, shape, values);
		}
		if (tensor instanceof TFloat16 halves) {
			float[] values = new float[size];
			halves.copyTo(DataBuffers.of(values, false, false));
			return new HostTensor.Half(Datatype.FP16, shape, values);
		}
		if (tensor instanceof TBfloat16 halves) {
			float[] values = new float[size];
			halves.copyTo(DataBuffers.of(values, false, false));
			return new HostTensor.Half(Datatype.BF16, shape, values);
		}
		if (tensor instanceof TString strings) {
			byte[][] values = new byte[size][];
			strings.asBytes().copyTo(DataBuffers.ofObjects(values));
			return new HostTensor.Bytes(shape, values);
		}
		throw new ModelRuntimeException(
				"Output '" + name + "' has type " + tensor.dataType() + ", which TensorFlow Java cannot read back");
	}

}
