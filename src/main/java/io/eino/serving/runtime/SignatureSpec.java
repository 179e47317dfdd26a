package io.eino.serving.runtime;

import java.util.List;

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

}
