package io.eino.serving.bench;

import java.time.Duration;
import java.util.List;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

/**
 * What a Spring team on the JVM AI stack runs in-process: LangChain4j's all-MiniLM-L6-v2
 * embedding models (fp32 and the int8 one), {@code embedAll} on 64 texts a call, with
 * their own defaults (ONNX Runtime underneath, LangChain4j's own thread pool). The same
 * encoder as the service's default model, without its 2-label head (a 384 × 2 product,
 * nothing beside the encoder).
 */
final class LangChain4jBaseline {

	static final int TEXTS_PER_CALL = 64;

	private LangChain4jBaseline() {
	}

	static List<OnnxRuntimeBaseline.Result> run(List<String> corpus, Duration duration) throws Exception {
		return List.of(measure("langchain4j embedAll fp32", new AllMiniLmL6V2EmbeddingModel(), corpus, duration),
				measure("langchain4j embedAll int8", new AllMiniLmL6V2QuantizedEmbeddingModel(), corpus, duration));
	}

	private static OnnxRuntimeBaseline.Result measure(String name, EmbeddingModel model, List<String> corpus,
			Duration duration) throws Exception {
		OnnxRuntimeBaseline.Call call = (texts) -> {
			int embedded = model.embedAll(texts.stream().map(TextSegment::from).toList()).content().size();
			if (embedded != texts.size()) {
				throw new IllegalStateException(name + " embedded " + embedded + " of " + texts.size() + " texts");
			}
		};
		OnnxRuntimeBaseline.measureFor(name, corpus, TEXTS_PER_CALL, Duration.ofSeconds(3), call);
		return OnnxRuntimeBaseline.measureFor(name + ", " + TEXTS_PER_CALL + " texts a call", corpus, TEXTS_PER_CALL,
				duration, call);
	}

}
