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

	public boolean hasInput(String name) {
		return this.inputs.stream().anyMatch((input) -> input.name().equals(name));
	}

	public boolean hasOutput(String name) {
		return this.outputs.stream().anyMatch((output) -> output.name().equals(name));
	}

}
