package io.eino.serving.importer;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * ONNX element types and their TensorFlow counterparts.
 */
final class OnnxTypes {

	private OnnxTypes() {
	}

	static Class<? extends TType> tensorFlowType(DataType type, String where) {
		return switch (type) {
			case FLOAT -> TFloat32.class;
			case DOUBLE -> TFloat64.class;
			case FLOAT16 -> TFloat16.class;
			case BFLOAT16 -> TBfloat16.class;
			case INT64 -> TInt64.class;
			case INT32 -> TInt32.class;
			case UINT8 -> TUint8.class;
			case BOOL -> TBool.class;
			default -> throw new OnnxImportException(where + ": element type " + type + " is not supported");
		};
	}

	static int elementSize(DataType type) {
		return switch (type) {
			case DOUBLE, INT64 -> 8;
			case FLOAT, INT32 -> 4;
			case FLOAT16, BFLOAT16 -> 2;
			case UINT8, BOOL -> 1;
			default -> throw new OnnxImportException("Element type " + type + " is not supported");
		};
	}

}
