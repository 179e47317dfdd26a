package io.eino.serving.inference;

import java.util.List;

/**
 * Predictions for the texts of one request, in request order.
 *
 * @param model the model name
 * @param version the version that computed them
 * @param predictions one per text
 */
public record TextResult(String model, long version, List<TextPrediction> predictions) {
}
