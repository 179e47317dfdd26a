package io.eino.serving.inference;

import java.util.List;

import io.eino.serving.plugin.TextPrediction;

/**
 * Predictions for the texts of one request, in request order.
 *
 * @param model the model name
 * @param version the version that computed them
 * @param predictions one per text
 * @param degradation null normally; {@code previous-version} when an older version
 * answered because the serving one failed, {@code fallback-answer} when the configured
 * fallback answered
 * @param queueNanos the longest wait of its texts in the queue (0 for a fallback answer)
 * @param batchSize the largest batch its texts ran in (0 for a fallback answer)
 * @param tokens the tokens its texts were as the model read them, special tokens included
 * (0 for a fallback answer)
 */
public record TextResult(String model, long version, List<TextPrediction> predictions, String degradation,
		long queueNanos, int batchSize, int tokens) {

	public TextResult(String model, long version, List<TextPrediction> predictions, String degradation) {
		this(model, version, predictions, degradation, 0, 0, 0);
	}

	public static final String PREVIOUS_VERSION = "previous-version";

	public static final String FALLBACK_ANSWER = "fallback-answer";

}
