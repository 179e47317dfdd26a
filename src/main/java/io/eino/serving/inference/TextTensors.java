package io.eino.serving.inference;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.error.Rule;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.validation.InvalidInputException;

/**
 * A text request's predictions as the tensors the tensor protocols answer (the Open
 * Inference Protocol in JSON and gRPC, TF Serving's gRPC Predict): for a classifier
 * {@code label} BYTES {@code [n]}, {@code score} FP32 {@code [n]} and
 * {@code probabilities} FP32 {@code [n, labels]}; for an embedding model
 * {@code sentence_embedding} FP32 {@code [n, size]}.
 */
public final class TextTensors {

	/** The outputs of a classifier's text predictions, with their datatypes. */
	public static final Map<String, Datatype> CLASSIFICATION = Map.of("label", Datatype.BYTES, "score", Datatype.FP32,
			"probabilities", Datatype.FP32);

	/** The output of an embedding model's text predictions, with its datatype. */
	public static final Map<String, Datatype> EMBEDDING = Map.of("sentence_embedding", Datatype.FP32);

	private TextTensors() {
	}

	/**
	 * The predictions as tensors, in the order above, keeping only {@code requested} (all
	 * of them when it is empty).
	 */
	public static Map<String, HostTensor> of(List<TextPrediction> predictions, List<String> requested) {
		int count = predictions.size();
		Map<String, HostTensor> tensors = new LinkedHashMap<>();
		if (predictions.get(0) instanceof TextPrediction.Classification first) {
			int labels = first.scores().size();
			byte[][] names = new byte[count][];
			float[] scores = new float[count];
			float[] probabilities = new float[count * labels];
			for (int i = 0; i < count; i++) {
				TextPrediction.Classification prediction = (TextPrediction.Classification) predictions.get(i);
				names[i] = prediction.label().getBytes(StandardCharsets.UTF_8);
				scores[i] = (float) prediction.score();
				int j = 0;
				for (double probability : prediction.scores().values()) {
					probabilities[i * labels + j++] = (float) probability;
				}
			}
			put(tensors, requested, "label", new HostTensor.Bytes(new long[] { count }, names));
			put(tensors, requested, "score", new HostTensor.Float32(new long[] { count }, scores));
			put(tensors, requested, "probabilities",
					new HostTensor.Float32(new long[] { count, labels }, probabilities));
		}
		else {
			int size = ((TextPrediction.Embedding) predictions.get(0)).vector().length;
			float[] vectors = new float[count * size];
			for (int i = 0; i < count; i++) {
				System.arraycopy(((TextPrediction.Embedding) predictions.get(i)).vector(), 0, vectors, i * size, size);
			}
			put(tensors, requested, "sentence_embedding", new HostTensor.Float32(new long[] { count, size }, vectors));
		}
		if (tensors.isEmpty()) {
			throw new InvalidInputException(Rule.UNKNOWN_OUTPUT, "None of the requested outputs " + requested
					+ " is produced for text; available: label, score, probabilities (or sentence_embedding)");
		}
		return tensors;
	}

	private static void put(Map<String, HostTensor> tensors, List<String> requested, String name, HostTensor tensor) {
		if (requested.isEmpty() || requested.contains(name)) {
			tensors.put(name, tensor);
		}
	}

}
