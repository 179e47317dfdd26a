package io.eino.serving.model.loading;

import java.nio.file.Path;
import java.util.List;

import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.Pooling;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The startup step's comparisons read an embedding model's vectors as it serves them: a
 * model that pools {@code last_hidden_state} by the mean is compared on the same vectors
 * as one that reads the graph's {@code sentence_embedding}.
 */
@Tag(TestTags.TENSORFLOW)
class OutputComparisonTest {

	@Test
	void pooledOutputsAreOneVectorPerTextAsServed() {
		Path version = TestModels.repository().resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION);
		ModelDescriptor graph = DefaultModel.embeddingDescriptor();
		ModelDescriptor pooled = new ModelDescriptor(ModelDescriptor.Task.EMBEDDING, "serving_default",
				"tokenizer.json", 256, Overflow.TRUNCATE, List.of(), "last_hidden_state", null, List.of(), List.of(),
				new Pooling(Pooling.Mode.MEAN, true));
		List<String> texts = List.of("A fine film", "An awful, long and tedious film that nobody liked", "Fine");
		try (TextTokenizer tokenizer = TextTokenizer.load(version.resolve("tokenizer.json"), 256, Overflow.TRUNCATE);
				SavedModelRunner runner = SavedModelRunner.load(version,
						SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false))) {
			List<float[]> expected = OutputComparison.outputs(runner, graph, tokenizer, texts);
			List<float[]> actual = OutputComparison.outputs(runner, pooled, tokenizer, texts);
			for (int text = 0; text < texts.size(); text++) {
				assertThat(actual.get(text)).hasSize(384).containsExactly(expected.get(text), within(1e-5f));
			}
			OutputComparison.Agreement agreement = OutputComparison.compare(expected, actual, pooled,
					java.util.Collections.nCopies(texts.size(), null));
			assertThat(agreement.retrieval().minCosine()).isGreaterThan(0.99999);
		}
	}

}
