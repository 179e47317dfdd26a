package io.eino.serving.grpc;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.google.protobuf.ByteString;
import io.eino.serving.error.Rule;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.validation.InvalidInputException;

/**
 * Tensors as raw bytes: TF Serving's {@code tensor_content} and the Open Inference
 * Protocol's {@code raw_input_contents} / {@code raw_output_contents}. Elements are
 * little-endian and row-major; a BYTES element is a 4-byte little-endian length and its
 * bytes (OIP's rule).
 */
final class RawContents {

	private RawContents() {
	}

	/**
	 * @throws InvalidInputException when the bytes do not hold exactly {@code count}
	 * elements of the datatype
	 */
	static HostTensor read(String name, Datatype datatype, long[] shape, int count, ByteString content) {
		ByteBuffer bytes = TensorMessages.littleEndian(content);
		if (datatype == Datatype.BYTES) {
			return readStrings(name, shape, count, bytes);
		}
		int width = width(datatype);
		if ((long) count * width != bytes.remaining()) {
			throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + name + "' has " + bytes.remaining()
					+ " raw bytes; its shape needs " + count + " " + datatype + " elements of " + width + " byte(s)");
		}
		switch (datatype) {
			case BOOL -> {
				boolean[] values = new boolean[count];
				for (int i = 0; i < count; i++) {
					values[i] = bytes.get() != 0;
				}
				return new HostTensor.Bool(shape, values);
			}
			case UINT8 -> {
				int[] values = new int[count];
				for (int i = 0; i < count; i++) {
					values[i] = bytes.get() & 0xFF;
				}
				return new HostTensor.SmallInt(datatype, shape, values);
			}
			case UINT16 -> {
				int[] values = new int[count];
				for (int i = 0; i < count; i++) {
					values[i] = bytes.getShort() & 0xFFFF;
				}
				return new HostTensor.SmallInt(datatype, shape, values);
			}
			case INT32 -> {
				int[] values = new int[count];
				bytes.asIntBuffer().get(values);
				return new HostTensor.Int32(shape, values);
			}
			case INT64 -> {
				long[] values = new long[count];
				bytes.asLongBuffer().get(values);
				return new HostTensor.Int64(shape, values);
			}
			case FP16, BF16 -> {
				short[] bits = new short[count];
				bytes.asShortBuffer().get(bits);
				return new HostTensor.Half(datatype, shape, TensorMessages.halvesToFloats(datatype, bits));
			}
			case FP32 -> {
				float[] values = new float[count];
				bytes.asFloatBuffer().get(values);
				return new HostTensor.Float32(shape, values);
			}
			default -> {
				double[] values = new double[count];
				bytes.asDoubleBuffer().get(values);
				return new HostTensor.Float64(shape, values);
			}
		}
	}

	private static HostTensor readStrings(String name, long[] shape, int count, ByteBuffer bytes) {
		byte[][] values = new byte[count][];
		for (int i = 0; i < count; i++) {
			if (bytes.remaining() < 4) {
				throw new InvalidInputException(Rule.INPUT_SHAPE,
						"Input '" + name + "' holds " + i + " raw strings; its shape needs " + count);
			}
			int length = bytes.getInt();
			if (length < 0 || length > bytes.remaining()) {
				throw new InvalidInputException(Rule.INPUT_SHAPE,
						"Input '" + name + "': raw string " + i + " claims " + length + " bytes, more than remain");
			}
			values[i] = new byte[length];
			bytes.get(values[i]);
		}
		if (bytes.hasRemaining()) {
			throw new InvalidInputException(Rule.INPUT_SHAPE,
					"Input '" + name + "' has bytes after its " + count + " raw strings");
		}
		return new HostTensor.Bytes(shape, values);
	}

	/** The tensor's elements as raw bytes. */
	static ByteString write(HostTensor tensor) {
		if (tensor instanceof HostTensor.Bytes strings) {
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
			for (byte[] value : strings.values()) {
				out.writeBytes(length.putInt(0, value.length).array());
				out.writeBytes(value);
			}
			return ByteString.copyFrom(out.toByteArray());
		}
		int count = Math.toIntExact(tensor.size());
		ByteBuffer bytes = ByteBuffer.allocate(count * width(tensor.datatype())).order(ByteOrder.LITTLE_ENDIAN);
		if (tensor instanceof HostTensor.Bool bools) {
			for (boolean value : bools.values()) {
				bytes.put((byte) (value ? 1 : 0));
			}
		}
		else if (tensor instanceof HostTensor.SmallInt small) {
			for (int value : small.values()) {
				if (small.datatype() == Datatype.UINT8) {
					bytes.put((byte) value);
				}
				else {
					bytes.putShort((short) value);
				}
			}
		}
		else if (tensor instanceof HostTensor.Int32 ints) {
			bytes.asIntBuffer().put(ints.values());
		}
		else if (tensor instanceof HostTensor.Int64 longs) {
			bytes.asLongBuffer().put(longs.values());
		}
		else if (tensor instanceof HostTensor.Half half) {
			bytes.asShortBuffer().put(TensorMessages.floatsToHalves(half.datatype(), half.values()));
		}
		else if (tensor instanceof HostTensor.Float32 floats) {
			bytes.asFloatBuffer().put(floats.values());
		}
		else {
			bytes.asDoubleBuffer().put(((HostTensor.Float64) tensor).values());
		}
		return ByteString.copyFrom(bytes.array());
	}

	private static int width(Datatype datatype) {
		return switch (datatype) {
			case BOOL, UINT8 -> 1;
			case UINT16, FP16, BF16 -> 2;
			case INT32, FP32 -> 4;
			default -> 8;
		};
	}

}
