package io.eino.serving.grpc;

import java.util.Arrays;
import java.util.List;

import com.google.protobuf.ByteString;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import io.eino.serving.error.Rule;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.validation.InvalidInputException;

/**
 * The Open Inference Protocol's typed tensor contents to and from {@link HostTensor}: the
 * field of each datatype holds exactly the elements its shape needs. FP16 and BF16 have
 * no field; they travel as raw contents ({@link RawContents}).
 */
final class InferContents {

	private InferContents() {
	}

	/** The shape of an input, checked, and its element count. */
	static long[] shape(InferInputTensor input) {
		long[] shape = input.getShapeList().stream().mapToLong(Long::longValue).toArray();
		long count = 1;
		for (long size : shape) {
			if (size < 0) {
				throw new InvalidInputException(Rule.INPUT_SHAPE,
						"Input '" + input.getName() + "' has a negative dimension " + Arrays.toString(shape));
			}
			count = Math.multiplyExact(count, size);
		}
		if (count > Integer.MAX_VALUE) {
			throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + input.getName() + "' is too large");
		}
		return shape;
	}

	/**
	 * @throws InvalidInputException when the datatype is not served or the contents do
	 * not hold exactly the elements of the shape
	 */
	static HostTensor fromContents(InferInputTensor input) {
		String name = input.getName();
		Datatype datatype = served(input);
		long[] shape = shape(input);
		int count = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
		InferTensorContents contents = input.getContents();
		switch (datatype) {
			case BOOL -> {
				check(name, datatype, count, contents.getBoolContentsCount());
				boolean[] values = new boolean[count];
				for (int i = 0; i < count; i++) {
					values[i] = contents.getBoolContents(i);
				}
				return new HostTensor.Bool(shape, values);
			}
			case INT32 -> {
				check(name, datatype, count, contents.getIntContentsCount());
				return new HostTensor.Int32(shape,
						contents.getIntContentsList().stream().mapToInt(Integer::intValue).toArray());
			}
			case UINT8, UINT16 -> {
				check(name, datatype, count, contents.getUintContentsCount());
				return TensorMessages.smallInt(name, datatype, shape,
						contents.getUintContentsList().stream().mapToInt(Integer::intValue).toArray());
			}
			case INT64 -> {
				check(name, datatype, count, contents.getInt64ContentsCount());
				return new HostTensor.Int64(shape,
						contents.getInt64ContentsList().stream().mapToLong(Long::longValue).toArray());
			}
			case FP32 -> {
				check(name, datatype, count, contents.getFp32ContentsCount());
				float[] values = new float[count];
				for (int i = 0; i < count; i++) {
					values[i] = contents.getFp32Contents(i);
				}
				return new HostTensor.Float32(shape, values);
			}
			case FP64 -> {
				check(name, datatype, count, contents.getFp64ContentsCount());
				return new HostTensor.Float64(shape,
						contents.getFp64ContentsList().stream().mapToDouble(Double::doubleValue).toArray());
			}
			case BYTES -> {
				check(name, datatype, count, contents.getBytesContentsCount());
				List<ByteString> strings = contents.getBytesContentsList();
				byte[][] values = new byte[count][];
				for (int i = 0; i < count; i++) {
					values[i] = strings.get(i).toByteArray();
				}
				return new HostTensor.Bytes(shape, values);
			}
			case FP16, BF16 -> throw new InvalidInputException(Rule.INPUT_DATATYPE,
					"Input '" + name + "' is " + datatype + ", which travels as raw_input_contents only");
			default -> throw new IllegalStateException("A served datatype without a reader: " + datatype);
		}
	}

	/** A raw input ({@code raw_input_contents}) of the input's datatype and shape. */
	static HostTensor fromRaw(InferInputTensor input, ByteString raw) {
		Datatype datatype = served(input);
		long[] shape = shape(input);
		int count = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
		return RawContents.read(input.getName(), datatype, shape, count, raw);
	}

	/** The input's datatype, refused unless it is one a signature can take. */
	private static Datatype served(InferInputTensor input) {
		Datatype datatype = Datatype.named(input.getDatatype());
		if (datatype == null || !datatype.served()) {
			throw new InvalidInputException(Rule.INPUT_DATATYPE, "Input '" + input.getName() + "' has datatype "
					+ input.getDatatype() + ", which is not served (served: " + Datatype.servedNames() + ")");
		}
		return datatype;
	}

	/** The tensor's elements in the field of its datatype; null for FP16 and BF16. */
	static InferTensorContents toContents(HostTensor tensor) {
		InferTensorContents.Builder contents = InferTensorContents.newBuilder();
		if (tensor instanceof HostTensor.Float32 floats) {
			for (float value : floats.values()) {
				contents.addFp32Contents(value);
			}
		}
		else if (tensor instanceof HostTensor.Int64 longs) {
			contents.addAllInt64Contents(() -> Arrays.stream(longs.values()).iterator());
		}
		else if (tensor instanceof HostTensor.Int32 ints) {
			contents.addAllIntContents(() -> Arrays.stream(ints.values()).iterator());
		}
		else if (tensor instanceof HostTensor.SmallInt small) {
			contents.addAllUintContents(() -> Arrays.stream(small.values()).iterator());
		}
		else if (tensor instanceof HostTensor.Float64 doubles) {
			contents.addAllFp64Contents(() -> Arrays.stream(doubles.values()).iterator());
		}
		else if (tensor instanceof HostTensor.Bool bools) {
			for (boolean value : bools.values()) {
				contents.addBoolContents(value);
			}
		}
		else if (tensor instanceof HostTensor.Bytes strings) {
			for (byte[] value : strings.values()) {
				contents.addBytesContents(ByteString.copyFrom(value));
			}
		}
		else {
			return null;
		}
		return contents.build();
	}

	private static void check(String name, Datatype datatype, int count, int given) {
		if (given != count) {
			throw new InvalidInputException(Rule.INPUT_SHAPE,
					"Input '" + name + "' has " + given + " " + datatype + " values; its shape needs " + count);
		}
	}

}
