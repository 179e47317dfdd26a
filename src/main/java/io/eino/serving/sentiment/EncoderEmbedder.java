package io.eino.serving.sentiment;

import java.util.List;

import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.text.TextTokenizer;
import io.eino.serving.text.TokenizedBatch;

/**
 * Sentence embeddings from an imported encoder's {@code sentence_embedding} output.
 */
public record EncoderEmbedder(SavedModelRunner runner, TextTokenizer tokenizer) implements SentenceEmbedder {

	@Override
	public float[][] embed(List<String> texts) {
		TokenizedBatch batch = this.tokenizer.encode(texts);
		HostTensor.Float32 embeddings = (HostTensor.Float32) this.runner
			.run("serving_default", batch.asInputs(), List.of("sentence_embedding"))
			.get("sentence_embedding");
		float[][] rows = new float[texts.size()][];
		for (int i = 0; i < rows.length; i++) {
			rows[i] = embeddings.row(i);
		}
		return rows;
	}

}
