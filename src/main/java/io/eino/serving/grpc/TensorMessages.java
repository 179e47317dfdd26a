package io.eino.serving.grpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import com.google.protobuf.ByteString;
import io.eino.serving.error.Rule;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.validation.InvalidInputException;
import io.eino.serving.validation.Utf8Text;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.TensorProto;
import org.tensorflow.framework.TensorShapeProto;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.layout.DataLayouts;

/**
 * TF Serving's {@link TensorProto} to and from {@link HostTensor}: the typed value fields
 * or {@code tensor_content} (little-endian) on the way in, the typed fields on the way
 * out. Like TensorFlow, a typed field shorter than the shape is filled with its last
 * value (zeros when empty); a longer one is refused. 16-bit floats travel as their bits
 * in {@code half_val}, converted by TensorFlow Java's own layouts.
 */
final class TensorMessages {

	private TensorMessages() {
	}

	static TensorShapeProto shape(long[] dims) {
		TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
		for (long size : dims) {
			shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(size));
		}
		return shape.build();
	}

	/**
	 * The tensor a request sent as input {@code name}.
	 * @throws InvalidInputException for a type that is not served, a shape that is not
	 * known, or values that do not fit the shape
	 */
	static HostTensor fromProto(String name, TensorProto proto) {
		// TF Serving's protos and TensorFlow Java's number the types alike.
		Datatype datatype = Datatype.of(org.tensorflow.proto.DataType.forNumber(proto.getDtypeValue()));
		if (datatype == null || !datatype.served()) {
			throw new InvalidInputException(Rule.INPUT_DATATYPE, "Input '" + name + "' has type " + proto.getDtype()
					+ ", which is not served (served: " + Datatype.servedNames() + ")");
		}
		if (proto.getTensorShape().getUnknownRank()) {
			throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + name + "' must have a known shape");
		}
		long[] shape = proto.getTensorShape().getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
		long elements = 1;
		for (long size : shape) {
			if (size < 0) {
				throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + name + "' has a negative dimension");
			}
			elements = Math.multiplyExact(elements, size);
		}
		if (elements > Integer.MAX_VALUE) {
			throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + name + "' is too large");
		}
		int count = (int) elements;
		if (!proto.getTensorContent().isEmpty() && datatype != Datatype.BYTES) {
			return RawContents.read(name, datatype, shape, count, proto.getTensorContent());
		}
		return switch (datatype) {
			case BOOL -> {
				boolean[] values = new boolean[count];
				fill(name, count, proto.getBoolValCount(), (i) -> values[i] = proto.getBoolVal(i),
						(from) -> Arrays.fill(values, from, count, values[from - 1]));
				yield new HostTensor.Bool(shape, values);
			}
			case UINT8, UINT16, INT32 -> {
				int[] values = new int[count];
				fill(name, count, proto.getIntValCount(), (i) -> values[i] = proto.getIntVal(i),
						(from) -> Arrays.fill(values, from, count, values[from - 1]));
				yield (datatype == Datatype.INT32) ? new HostTensor.Int32(shape, values)
						: smallInt(name, datatype, shape, values);
			}
			case INT64 -> {
				long[] values = new long[count];
				fill(name, count, proto.getInt64ValCount(), (i) -> values[i] = proto.getInt64Val(i),
						(from) -> Arrays.fill(values, from, count, values[from - 1]));
				yield new HostTensor.Int64(shape, values);
			}
			case FP16, BF16 -> {
				short[] bits = new short[count];
				fill(name, count, proto.getHalfValCount(), (i) -> bits[i] = (short) proto.getHalfVal(i),
						(from) -> Arrays.fill(bits, from, count, bits[from - 1]));
				yield new HostTensor.Half(datatype, shape, halvesToFloats(datatype, bits));
			}
			case FP32 -> {
				float[] values = new float[count];
				fill(name, count, proto.getFloatValCount(), (i) -> values[i] = proto.getFloatVal(i),
						(from) -> Arrays.fill(values, from, count, values[from - 1]));
				yield new HostTensor.Float32(shape, values);
			}
			case FP64 -> {
				double[] values = new double[count];
				fill(name, count, proto.getDoubleValCount(), (i) -> values[i] = proto.getDoubleVal(i),
						(from) -> Arrays.fill(values, from, count, values[from - 1]));
				yield new HostTensor.Float64(shape, values);
			}
			default -> {
				byte[][] values = new byte[count][];
				List<ByteString> strings = proto.getStringValList();
				fill(name, count, strings.size(), (i) -> values[i] = strings.get(i).toByteArray(),
						(from) -> Arrays.fill(values, from, count, values[from - 1]));
				if (strings.isEmpty()) {
					Arrays.fill(values, new byte[0]);
				}
				yield new HostTensor.Bytes(shape, values);
			}
		};
	}

	/** The answer's tensor, in the typed value field of its type. */
	static TensorProto toProto(HostTensor tensor) {
		TensorProto.Builder proto = TensorProto.newBuilder()
			.setDtype(DataType.forNumber(tensor.datatype().tensorFlow().getNumber()))
			.setTensorShape(shape(tensor.shape()));
		if (tensor instanceof HostTensor.Float32 floats) {
			for (float value : floats.values()) {
				proto.addFloatVal(value);
			}
		}
		else if (tensor instanceof HostTensor.Int64 longs) {
			proto.addAllInt64Val(() -> Arrays.stream(longs.values()).iterator());
		}
		else if (tensor instanceof HostTensor.Int32 ints) {
			proto.addAllIntVal(() -> Arrays.stream(ints.values()).iterator());
		}
		else if (tensor instanceof HostTensor.SmallInt small) {
			proto.addAllIntVal(() -> Arrays.stream(small.values()).iterator());
		}
		else if (tensor instanceof HostTensor.Float64 doubles) {
			proto.addAllDoubleVal(() -> Arrays.stream(doubles.values()).iterator());
		}
		else if (tensor instanceof HostTensor.Bool bools) {
			for (boolean value : bools.values()) {
				proto.addBoolVal(value);
			}
		}
		else if (tensor instanceof HostTensor.Half half) {
			for (short bits : floatsToHalves(half.datatype(), half.values())) {
				proto.addHalfVal(bits & 0xFFFF);
			}
		}
		else {
			for (byte[] value : ((HostTensor.Bytes) tensor).values()) {
				proto.addStringVal(ByteString.copyFrom(value));
			}
		}
		return proto.build();
	}

	/**
	 * The texts of a BYTES tensor, read as strict UTF-8.
	 * @throws InvalidInputException ({@code malformed-utf8}) for bytes that are not
	 */
	static List<String> texts(String name, HostTensor.Bytes strings) {
		java.util.List<String> texts = new java.util.ArrayList<>(strings.values().length);
		for (byte[] value : strings.values()) {
			texts.add(Utf8Text.decode(value, "Input '" + name + "' holds bytes that are not UTF-8 text"));
		}
		return texts;
	}

	static HostTensor smallInt(String name, Datatype datatype, long[] shape, int[] values) {
		int max = (datatype == Datatype.UINT8) ? 0xFF : 0xFFFF;
		for (int value : values) {
			if (value < 0 || value > max) {
				throw new InvalidInputException(Rule.INPUT_DATATYPE,
						"Input '" + name + "' holds " + value + ", outside " + datatype + " (0 to " + max + ")");
			}
		}
		return new HostTensor.SmallInt(datatype, shape, values);
	}

	/** 16-bit float bits to floats, through TensorFlow Java's FP16 or BF16 layout. */
	static float[] halvesToFloats(Datatype datatype, short[] bits) {
		float[] values = new float[bits.length];
		((datatype == Datatype.BF16) ? DataLayouts.BFLOAT16 : DataLayouts.FLOAT16)
			.applyTo(DataBuffers.of(bits, true, false))
			.read(values);
		return values;
	}

	/** Floats to their 16-bit bits, through TensorFlow Java's FP16 or BF16 layout. */
	static short[] floatsToHalves(Datatype datatype, float[] values) {
		short[] bits = new short[values.length];
		((datatype == Datatype.BF16) ? DataLayouts.BFLOAT16 : DataLayouts.FLOAT16)
			.applyTo(DataBuffers.of(bits, false, false))
			.write(values);
		return bits;
	}

	private interface Setter {

		void set(int index);

	}

	private interface Filler {

		void fillFrom(int index);

	}

	/** TensorFlow's rule: the values given, then the last one repeated (none: zeros). */
	private static void fill(String name, int count, int given, Setter setter, Filler filler) {
		if (given > count) {
			throw new InvalidInputException(Rule.INPUT_SHAPE,
					"Input '" + name + "' has " + given + " values, more than its shape holds (" + count + ")");
		}
		for (int i = 0; i < given; i++) {
			setter.set(i);
		}
		if (given > 0 && given < count) {
			filler.fillFrom(given);
		}
	}

	/** Little-endian element bytes, as in {@code tensor_content} and OIP raw contents. */
	static ByteBuffer littleEndian(ByteString bytes) {
		return bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
	}

}
