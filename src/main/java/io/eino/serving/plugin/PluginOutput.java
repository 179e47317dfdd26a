package io.eino.serving.plugin;

import java.util.List;

/**
 * The outcome of one request.
 *
 * @param version the version that answered; null when none did
 * @param outcome {@code ok}, {@code degraded}, or the rule of the failure
 * ({@code text-length}, {@code rate-limit}, …)
 * @param tier the failure's error tier ({@code input}, {@code capacity}, {@code model},
 * {@code system}); null on success
 * @param latencyNanos time from arrival to outcome
 * @param texts the texts as they went to the model
 * @param predictions one per text on success; empty on failure
 */
public record PluginOutput(Long version, String outcome, String tier, long latencyNanos, List<String> texts,
		List<TextPrediction> predictions) {
}
