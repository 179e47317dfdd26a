package io.eino.serving.runtime;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A SavedModel signature as the API layer describes it.
 *
 * @param key the signature key ({@code serving_default})
 * @param methodName the signature's method ({@code tensorflow/serving/predict})
 * @param inputs the inputs, by name order
 * @param outputs the outputs, by name order
 */
public record SignatureSpec(String key, String methodName, List<TensorSpec> inputs, List<TensorSpec> outputs) {

	/**
	 * The signature a request runs when it names none (TensorFlow's and TF Serving's).
	 */
	public static final String DEFAULT_KEY = "serving_default";

	public boolean hasInput(String name) {
		return this.inputs.stream().anyMatch((input) -> input.name().equals(name));
	}

	public boolean hasOutput(String name) {
		return this.outputs.stream().anyMatch((output) -> output.name().equals(name));
	}

	/** The signature {@code key} of a SavedModel, as its definition describes it. */
	static SignatureSpec of(String key, SignatureDef definition) {
		return new SignatureSpec(key, definition.getMethodName(), describe(definition.getInputsMap()),
				describe(definition.getOutputsMap()));
	}

	private static List<TensorSpec> describe(Map<String, TensorInfo> tensors) {
		return new TreeMap<>(tensors).entrySet().stream().map((entry) -> {
			TensorInfo info = entry.getValue();
			long[] shape = info.getTensorShape()
				.getDimList()
				.stream()
				.mapToLong(TensorShapeProto.Dim::getSize)
				.toArray();
			return new TensorSpec(entry.getKey(), Datatype.of(info.getDtype()), info.getDtype().name(), shape,
					info.getName());
		}).toList();
	}

}
