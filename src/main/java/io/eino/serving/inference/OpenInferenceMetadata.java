package io.eino.serving.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.eino.serving.model.ServingVersion;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;

/**
 * A version's inputs and outputs as the Open Inference Protocol's model metadata lists
 * them, for its REST and gRPC forms alike: the text pipeline's signature (else
 * {@code serving_default}, else the first), with a {@code text} BYTES input for a model
 * that takes text; each output once, with its true shape, then those only the text
 * pipeline adds.
 *
 * @param inputs the inputs, in order
 * @param outputs the outputs, in order
 */
public record OpenInferenceMetadata(List<Tensor> inputs, List<Tensor> outputs) {

	/**
	 * One tensor.
	 *
	 * @param name its name
	 * @param datatype its OIP datatype
	 * @param shape its shape, -1 for any size
	 */
	public record Tensor(String name, String datatype, long[] shape) {
	}

	public static OpenInferenceMetadata of(ServingVersion serving) {
		SignatureSpec signature = serving
			.signature(serving.takesText() ? serving.descriptor().signature() : SignatureSpec.DEFAULT_KEY);
		if (signature == null) {
			signature = serving.signatures().get(0);
		}
		List<Tensor> inputs = new ArrayList<>();
		if (serving.takesText()) {
			inputs.add(new Tensor(TextInput.NAME, Datatype.BYTES.name(), new long[] { -1 }));
		}
		signature.inputs().forEach((input) -> inputs.add(tensor(input)));
		List<Tensor> outputs = new ArrayList<>();
		signature.outputs().forEach((output) -> outputs.add(tensor(output)));
		if (serving.takesText()) {
			Map<String, Datatype> textOutputs = switch (serving.descriptor().task()) {
				case CLASSIFICATION -> TextTensors.CLASSIFICATION;
				case EMBEDDING -> TextTensors.EMBEDDING;
			};
			SignatureSpec named = signature;
			new TreeMap<>(textOutputs).forEach((name, datatype) -> {
				if (!named.hasOutput(name)) {
					outputs.add(new Tensor(name, datatype.name(), new long[] { -1 }));
				}
			});
		}
		return new OpenInferenceMetadata(List.copyOf(inputs), List.copyOf(outputs));
	}

	private static Tensor tensor(TensorSpec spec) {
		return new Tensor(spec.name(), spec.datatypeName(), spec.shape());
	}

}
