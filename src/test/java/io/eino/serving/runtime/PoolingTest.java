package io.eino.serving.runtime;

import java.nio.file.Path;
import java.util.List;

import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Pooling token vectors into one per text: the arithmetic, and on the default model's
 * {@code last_hidden_state} the same vectors its graph's {@code sentence_embedding}
 * computes.
 */
class PoolingTest {

	/** Two tokens of width 2, then a padded one the mask leaves out. */
	private static final float[] TOKENS = { 1, 2, 3, 6, 100, 100 };

	private static final long[] MASK = { 9, 9, 1, 1, 0 };

	@Test
	void meanCountsOnlyTheTokensTheMaskMarks() {
		float[] mean = new Pooling(Pooling.Mode.MEAN, false).apply(TOKENS, 3, MASK, 2);
		assertThat(mean).containsExactly(2f, 4f);
	}

	@Test
	void clsTakesTheFirstTokenAndNormalizeScalesToUnitLength() {
		assertThat(new Pooling(Pooling.Mode.CLS, false).apply(TOKENS, 3, MASK, 2)).containsExactly(1f, 2f);
		float[] unit = new Pooling(Pooling.Mode.NONE, true).apply(new float[] { 3, 4 }, 1, MASK, 0);
		assertThat(unit).containsExactly(0.6f, 0.8f);
		assertThat(new Pooling(Pooling.Mode.NONE, true).apply(new float[] { 0, 0 }, 1, MASK, 0)).containsExactly(0f,
				0f);
		assertThat(Pooling.NONE.isIdentity()).isTrue();
		assertThat(Pooling.NONE.apply(TOKENS, 3, MASK, 0)).isSameAs(TOKENS);
	}

	@Test
	@Tag(TestTags.TENSORFLOW)
	void meanPoolingOfTheHiddenStatesIsTheGraphsSentenceEmbedding() {
		Path version = TestModels.repository().resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION);
		List<TokenSequence> rows;
		try (TextTokenizer tokenizer = TextTokenizer.load(version.resolve("tokenizer.json"), 256, Overflow.TRUNCATE)) {
			rows = tokenizer.encodeEach(List.of("A fine film", "An awful, long and tedious film that nobody liked"),
					1.0);
		}
		int length = rows.stream().mapToInt(TokenSequence::length).max().orElseThrow();
		try (SavedModelRunner runner = SavedModelRunner.load(version,
				SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false));
				TokenBatchRun graph = new TokenBatchRun(runner, "serving_default", "sentence_embedding", Pooling.NONE);
				TokenBatchRun mean = new TokenBatchRun(runner, "serving_default", "last_hidden_state",
						new Pooling(Pooling.Mode.MEAN, true));
				TokenBatchRun cls = new TokenBatchRun(runner, "serving_default", "last_hidden_state",
						new Pooling(Pooling.Mode.CLS, false))) {
			List<float[]> expected = graph.run(rows, length);
			List<float[]> pooled = mean.run(rows, length);
			List<float[]> first = cls.run(rows, length);
			for (int row = 0; row < rows.size(); row++) {
				assertThat(pooled.get(row)).hasSize(384).containsExactly(expected.get(row), within(1e-5f));
				assertThat(first.get(row)).hasSize(384).isNotEqualTo(pooled.get(row));
			}
			// The shorter text's padding is left out: padded to a longer batch, it pools
			// to the same vector as alone.
			float[] alone = mean.run(rows.subList(0, 1), rows.get(0).length()).get(0);
			assertThat(alone).containsExactly(pooled.get(0), within(1e-5f));
		}
	}

}
