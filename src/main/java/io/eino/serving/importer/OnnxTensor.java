package io.eino.serving.importer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.family.TType;

/**
 * An ONNX tensor value (an initializer or a {@code Constant} attribute) held as
 * little-endian bytes, the layout both ONNX {@code raw_data} and TensorFlow's native
 * buffers use.
 *
 * @param name the tensor's ONNX name
 * @param dataType the ONNX element type
 * @param dims the dimensions
 * @param littleEndianBytes the elements, row-major
 */
record OnnxTensor(String name, DataType dataType, long[] dims, byte[] littleEndianBytes) {

	static OnnxTensor of(TensorProto proto) {
		if (proto.getExternalDataCount() > 0) {
			throw new OnnxImportException("Tensor '" + proto.getName()
					+ "' keeps its data in an external file; save the ONNX model with its weights embedded");
		}
		DataType type = DataType.forNumber(proto.getDataType());
		long[] dims = proto.getDimsList().stream().mapToLong(Long::longValue).toArray();
		byte[] bytes = proto.getRawData().isEmpty() ? typedFieldBytes(proto, type) : proto.getRawData().toByteArray();
		long expected = elementCount(dims) * OnnxTypes.elementSize(type);
		if (bytes.length != expected) {
			throw new OnnxImportException("Tensor '" + proto.getName() + "' holds " + bytes.length
					+ " bytes but its shape " + Arrays.toString(dims) + " of " + type + " needs " + expected);
		}
		return new OnnxTensor(proto.getName(), type, dims, bytes);
	}

	private static byte[] typedFieldBytes(TensorProto proto, DataType type) {
		ByteBuffer buffer;
		switch (type) {
			case FLOAT -> {
				buffer = allocate(proto.getFloatDataCount() * 4);
				proto.getFloatDataList().forEach(buffer::putFloat);
			}
			case DOUBLE -> {
				buffer = allocate(proto.getDoubleDataCount() * 8);
				proto.getDoubleDataList().forEach(buffer::putDouble);
			}
			case INT64 -> {
				buffer = allocate(proto.getInt64DataCount() * 8);
				proto.getInt64DataList().forEach(buffer::putLong);
			}
			case INT32 -> {
				buffer = allocate(proto.getInt32DataCount() * 4);
				proto.getInt32DataList().forEach(buffer::putInt);
			}
			case BOOL, INT8, UINT8 -> {
				buffer = allocate(proto.getInt32DataCount());
				proto.getInt32DataList().forEach((value) -> buffer.put(value.byteValue()));
			}
			default -> throw new OnnxImportException(
					"Tensor '" + proto.getName() + "' has element type " + type + ", which the importer does not read");
		}
		return buffer.array();
	}

	private static ByteBuffer allocate(int bytes) {
		return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
	}

	static long elementCount(long[] dims) {
		long count = 1;
		for (long dim : dims) {
			count *= dim;
		}
		return count;
	}

	Shape shape() {
		return Shape.of(this.dims);
	}

	boolean isFloatingPoint() {
		return this.dataType == DataType.FLOAT || this.dataType == DataType.DOUBLE || this.dataType == DataType.FLOAT16
				|| this.dataType == DataType.BFLOAT16;
	}

	/**
	 * The value of a one-element FLOAT or DOUBLE tensor (a scalar constant such as an
	 * epsilon), or empty for any other tensor.
	 */
	java.util.OptionalDouble scalar() {
		if (elementCount(this.dims) != 1) {
			return java.util.OptionalDouble.empty();
		}
		ByteBuffer buffer = ByteBuffer.wrap(this.littleEndianBytes).order(ByteOrder.LITTLE_ENDIAN);
		return switch (this.dataType) {
			case FLOAT -> java.util.OptionalDouble.of(buffer.getFloat());
			case DOUBLE -> java.util.OptionalDouble.of(buffer.getDouble());
			default -> java.util.OptionalDouble.empty();
		};
	}

	/**
	 * The elements as longs, for integer tensors used as static arguments (axes, shapes,
	 * indices).
	 */
	long[] longValues() {
		ByteBuffer buffer = ByteBuffer.wrap(this.littleEndianBytes).order(ByteOrder.LITTLE_ENDIAN);
		long[] values = new long[(int) elementCount(this.dims)];
		for (int i = 0; i < values.length; i++) {
			values[i] = switch (this.dataType) {
				case INT64 -> buffer.getLong();
				case INT32 -> buffer.getInt();
				case INT8, UINT8, BOOL -> buffer.get();
				default -> throw new OnnxImportException("Tensor '" + this.name + "' of type " + this.dataType
						+ " was used where integers are required");
			};
		}
		return values;
	}

	/**
	 * A new TensorFlow tensor holding a copy of this value. The caller closes it.
	 */
	Tensor toTensor() {
		Class<? extends TType> type = OnnxTypes.tensorFlowType(this.dataType, this.name);
		return Tensor.of(type, shape(), DataBuffers.of(this.littleEndianBytes, true, false));
	}

}
