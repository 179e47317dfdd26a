package io.eino.serving.plugin;

import java.util.Map;

/**
 * What a text model predicts for one text.
 */
public sealed interface TextPrediction permits TextPrediction.Classification, TextPrediction.Embedding {

	/**
	 * A classification.
	 *
	 * @param label the most probable label
	 * @param score its probability
	 * @param scores every label's probability, in label order
	 */
	record Classification(String label, double score, Map<String, Double> scores) implements TextPrediction {
	}

	/**
	 * A sentence embedding.
	 *
	 * @param vector the embedding
	 */
	record Embedding(float[] vector) implements TextPrediction {
	}

}
