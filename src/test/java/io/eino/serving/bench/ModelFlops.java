package io.eino.serving.bench;

import java.util.List;

import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.text.TextTokenizer;

/**
 * Floating-point operations of all-MiniLM-L6-v2 (6 layers, hidden 384, feed-forward 1536)
 * for one text of {@code n} real tokens: per layer the four attention projections and the
 * two feed-forward matrices ({@code 2·n·(4h² + 2h·f)}) and the attention products
 * ({@code 2·2·n²·h}). Embedding look-ups, normalisation and the head are negligible.
 */
final class ModelFlops {

	private static final int LAYERS = 6;

	private static final double HIDDEN = 384;

	private static final double FEED_FORWARD = 1536;

	private ModelFlops() {
	}

	static double forTokens(int tokens) {
		double n = tokens;
		double matrices = 2 * n * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FEED_FORWARD);
		double attention = 4 * n * n * HIDDEN;
		return LAYERS * (matrices + attention);
	}

	/** The mean over the corpus, each text at its own (unpadded) length. */
	static double meanPerRequest(List<String> corpus, TextTokenizer tokenizer) {
		return tokenizer.encodeEach(corpus, 1.0)
			.stream()
			.map(TokenSequence::length)
			.mapToDouble(ModelFlops::forTokens)
			.average()
			.orElseThrow();
	}

	static double meanTokens(List<String> corpus, TextTokenizer tokenizer) {
		return tokenizer.encodeEach(corpus, 1.0).stream().mapToInt(TokenSequence::length).average().orElseThrow();
	}

}
