package io.eino.serving.sentiment;

import java.util.List;

/**
 * Turns texts into sentence embeddings (one row per text).
 */
@FunctionalInterface
public interface SentenceEmbedder {

	float[][] embed(List<String> texts);

}
