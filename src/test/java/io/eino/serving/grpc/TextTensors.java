package io.eino.serving.grpc;

import com.google.protobuf.ByteString;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.TensorProto;
import org.tensorflow.framework.TensorShapeProto;

/** Texts as the TensorFlow Serving gRPC API carries them: one DT_STRING tensor. */
public final class TextTensors {

	private TextTensors() {
	}

	/** A {@code [texts.length]} string tensor of the texts, UTF-8. */
	public static TensorProto strings(String... texts) {
		TensorProto.Builder tensor = TensorProto.newBuilder()
			.setDtype(DataType.DT_STRING)
			.setTensorShape(
					TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(texts.length)));
		for (String text : texts) {
			tensor.addStringVal(ByteString.copyFromUtf8(text));
		}
		return tensor.build();
	}

}
