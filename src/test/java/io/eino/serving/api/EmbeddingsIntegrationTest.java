package io.eino.serving.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.eino.serving.OnnxRuntimeOracle;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;
import io.eino.serving.text.TokenizedBatch;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAI embeddings API over HTTP to the real model ({@link DefaultServingContext}'s
 * embedding model, the default SavedModel read through its {@code sentence_embedding}):
 * the same vectors as LangChain4j's in-process {@code AllMiniLmL6V2EmbeddingModel} (the
 * same ONNX model and pooling) on 240 texts up to the 128 tokens it reads, ONNX Runtime's
 * on the same model and tokens up to 256, the request and answer shapes OpenAI's clients
 * send and read, and OpenAI's error object.
 */
class EmbeddingsIntegrationTest extends DefaultServingContext {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static List<float[]> reference;

	@Autowired
	private WebTestClient client;

	@org.junit.jupiter.api.io.TempDir
	Path work;

	@Test
	void vectorsAreLangChain4jsOnTextsOfEveryLength() throws IOException {
		// LangChain4j reads at most 128 tokens (the tokenizer.json it ships truncates
		// there), where the model reads 256: compared on texts it reads whole.
		List<String> texts = corpus(480);
		List<float[]> reference = reference();
		double worstAbs = 0;
		double worstCosine = 1;
		int tokens = 0;
		for (int from = 0; from < texts.size(); from += 32) {
			List<String> part = texts.subList(from, Math.min(texts.size(), from + 32));
			JsonNode answer = ok(Map.of("model", EMBEDDINGS, "input", part));
			assertThat(answer.get("object").stringValue()).isEqualTo("list");
			assertThat(answer.get("model").stringValue()).isEqualTo(EMBEDDINGS);
			List<float[]> expected = reference.subList(from, from + part.size());
			for (int i = 0; i < part.size(); i++) {
				JsonNode item = answer.get("data").get(i);
				assertThat(item.get("object").stringValue()).isEqualTo("embedding");
				assertThat(item.get("index").intValue()).isEqualTo(i);
				float[] vector = floats(item.get("embedding"));
				float[] wanted = expected.get(i);
				assertThat(vector).hasSize(wanted.length);
				double dot = 0;
				for (int d = 0; d < vector.length; d++) {
					worstAbs = Math.max(worstAbs, Math.abs(vector[d] - wanted[d]));
					dot += (double) vector[d] * wanted[d];
				}
				worstCosine = Math.min(worstCosine, dot);
			}
			JsonNode usage = answer.get("usage");
			assertThat(usage.get("total_tokens").intValue()).isEqualTo(usage.get("prompt_tokens").intValue());
			tokens += usage.get("prompt_tokens").intValue();
		}
		// Both vectors are unit length: their dot product is the cosine.
		assertThat(worstAbs).as("largest difference of any component").isLessThanOrEqualTo(1e-4);
		assertThat(worstCosine).as("smallest cosine").isGreaterThanOrEqualTo(0.99999);
		assertThat(tokens).as("every text's tokens, with [CLS] and [SEP]").isGreaterThan(3 * texts.size());
	}

	@Test
	void vectorsOfTextsUpToTheModelsWindowAreOnnxRuntimesOnTheSameModel() throws Exception {
		// Beyond the 128 tokens LangChain4j reads: passages of 130 to 256 tokens (the
		// longest truncated at the model's 256), against ONNX Runtime on the ONNX file
		// the
		// model was imported from, with the service's own tokenizer.
		List<String> words = List.of(String.join(" ", Files.readAllLines(Path.of("bench/corpus.txt"))).split("\\s+"));
		List<String> texts = new ArrayList<>();
		for (int i = 0; i < 8; i++) {
			texts.add(String.join(" ", words.subList(i * 40, i * 40 + 110 + i * 25)));
		}
		Path onnx = DefaultModel.extractOnnx(this.work);
		JsonNode answer = okLarge(texts);
		Path tokenizerFile = DefaultModel.extractTokenizer(onnx.getParent());
		OrtEnvironment environment = OrtEnvironment.getEnvironment();
		try (TextTokenizer tokenizer = TextTokenizer.load(tokenizerFile, DefaultModel.MAX_TOKENS, Overflow.TRUNCATE);
				OrtSession session = environment.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
			TokenizedBatch batch = tokenizer.encode(texts);
			assertThat(batch.tokenCounts()).as("token counts").contains(256);
			assertThat(java.util.Arrays.stream(batch.tokenCounts()).min().orElseThrow()).isGreaterThan(128);
			float[][][] hidden = OnnxRuntimeOracle.hiddenStates(environment, session, batch);
			double worst = 0;
			for (int i = 0; i < texts.size(); i++) {
				double[] expected = OnnxRuntimeOracle.meanPoolAndNormalise(hidden[i], batch.attentionMask().values(),
						i * batch.sequenceLength());
				float[] vector = floats(answer.get("data").get(i).get("embedding"));
				for (int d = 0; d < vector.length; d++) {
					worst = Math.max(worst, Math.abs(vector[d] - expected[d]));
				}
			}
			assertThat(worst).as("largest difference of any component").isLessThanOrEqualTo(1e-4);
		}
	}

	@Test
	void aRequestOfAsManyTextsAsTheModelAllowsIsAnsweredWholeAndInOrder() throws IOException {
		List<String> sentences = corpus(480).subList(80, 160);
		List<String> texts = new ArrayList<>();
		for (int i = 0; i < 512; i++) {
			texts.add(sentences.get(i % sentences.size()) + " (" + i + ")");
		}
		// 512 vectors as JSON numbers: about 2.5 MB.
		JsonNode answer = okLarge(texts);
		assertThat(answer.get("data").size()).isEqualTo(512);
		for (int i : new int[] { 0, 1, 255, 511 }) {
			assertThat(answer.get("data").get(i).get("index").intValue()).isEqualTo(i);
			float[] alone = floats(
					ok(Map.of("model", EMBEDDINGS, "input", texts.get(i))).get("data").get(0).get("embedding"));
			assertThat(floats(answer.get("data").get(i).get("embedding"))).as("text %d", i)
				.containsExactly(alone, org.assertj.core.api.Assertions.within(1e-5f));
		}
		List<String> tooMany = new ArrayList<>(texts);
		tooMany.add("one more");
		assertError(Map.of("model", EMBEDDINGS, "input", tooMany), 400, "instances", "at most 512");
	}

	@Test
	void base64AndShortenedVectorsAreTheFloatsOpenAisClientsDecode() {
		JsonNode floats = ok(Map.of("model", EMBEDDINGS, "input", "A fine film"));
		JsonNode encoded = ok(
				Map.of("model", EMBEDDINGS, "input", "A fine film", "encoding_format", "base64", "user", "someone"));
		float[] vector = floats(floats.get("data").get(0).get("embedding"));
		ByteBuffer bytes = ByteBuffer
			.wrap(Base64.getDecoder().decode(encoded.get("data").get(0).get("embedding").stringValue()))
			.order(ByteOrder.LITTLE_ENDIAN);
		for (float value : vector) {
			assertThat(bytes.getFloat()).isEqualTo(value);
		}
		assertThat(bytes.hasRemaining()).isFalse();
		float[] shortened = floats(
				ok(Map.of("model", EMBEDDINGS, "input", List.of("A fine film"), "dimensions", 64)).get("data")
					.get(0)
					.get("embedding"));
		assertThat(shortened).hasSize(64);
		double norm = 0;
		for (int i = 0; i < 64; i++) {
			norm += (double) shortened[i] * shortened[i];
			// The same direction as the first 64 of the full vector.
			assertThat(Math.signum(shortened[i])).isEqualTo(Math.signum(vector[i]));
		}
		assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
	}

	@Test
	void errorsCarryOpenAisErrorObject() {
		assertError(Map.of("model", EMBEDDINGS, "input", List.of(101, 2023, 102)), 400, "request-shape", "token ids");
		assertError(Map.of("input", "text"), 400, "request-shape", "'model' is required");
		assertError(Map.of("model", "sentiment", "input", "text"), 400, "unknown-signature", "not an embedding model");
		assertError(Map.of("model", EMBEDDINGS, "input", "text", "encoding_format", "int8"), 400, "request-shape",
				"'encoding_format'");
		assertError(Map.of("model", EMBEDDINGS, "input", "text", "dimensions", 4096), 400, "request-shape",
				"'dimensions' is 4096");
		JsonNode missing = post(Map.of("model", "nothing-here", "input", "text")).expectStatus()
			.isNotFound()
			.expectBody(JsonNode.class)
			.returnResult()
			.getResponseBody();
		assertThat(missing.get("error").get("type").stringValue()).isEqualTo("invalid_request_error");
		assertThat(missing.get("error").get("code").stringValue()).isEqualTo("unknown-model");
	}

	@Test
	void theModelListAnswersOpenAisAndKServesClients() {
		JsonNode models = ApiTests.okNode(this.client.get().uri("/v1/models").exchange());
		assertThat(models.get("object").stringValue()).isEqualTo("list");
		List<String> ids = new ArrayList<>();
		models.get("data").forEach((model) -> {
			assertThat(model.get("object").stringValue()).isEqualTo("model");
			assertThat(model.get("created").longValue()).isPositive();
			ids.add(model.get("id").stringValue());
		});
		List<String> names = new ArrayList<>();
		models.get("models").forEach((name) -> names.add(name.stringValue()));
		assertThat(ids).contains(EMBEDDINGS, "sentiment").isEqualTo(names);
	}

	private void assertError(Map<String, Object> body, int status, String code, String message) {
		JsonNode error = post(body).expectStatus()
			.isEqualTo(status)
			.expectBody(JsonNode.class)
			.returnResult()
			.getResponseBody()
			.get("error");
		assertThat(error.get("code").stringValue()).as(body.toString()).isEqualTo(code);
		assertThat(error.get("type").stringValue()).isEqualTo("invalid_request_error");
		assertThat(error.get("message").stringValue()).contains(message);
		assertThat(error.has("param")).isTrue();
	}

	/** The answer to many texts: megabytes of JSON numbers. */
	private JsonNode okLarge(List<String> texts) {
		return ApiTests.okNode(this.client.mutate()
			.codecs((codecs) -> codecs.defaultCodecs().maxInMemorySize(8 << 20))
			.build()
			.post()
			.uri("/v1/embeddings")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(JSON.writeValueAsString(Map.of("model", EMBEDDINGS, "input", texts)))
			.exchange());
	}

	private JsonNode ok(Map<String, Object> body) {
		return ApiTests.okNode(post(body));
	}

	private WebTestClient.ResponseSpec post(Map<String, Object> body) {
		return this.client.post()
			.uri("/v1/embeddings")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(JSON.writeValueAsString(body))
			.exchange();
	}

	private static float[] floats(JsonNode array) {
		float[] values = new float[array.size()];
		for (int i = 0; i < values.length; i++) {
			values[i] = array.get(i).floatValue();
		}
		return values;
	}

	/**
	 * LangChain4j's in-process vectors of the {@link #corpus(int) corpus(480)} texts,
	 * computed once for the test classes that compare with them.
	 */
	static synchronized List<float[]> reference() throws IOException {
		if (reference == null) {
			reference = new AllMiniLmL6V2EmbeddingModel().embedAll(corpus(480).stream().map(TextSegment::from).toList())
				.content()
				.stream()
				.map(Embedding::vector)
				.toList();
		}
		return reference;
	}

	/**
	 * 240 texts: 80 single words of the VADER lexicon, 80 sentences of the evaluation
	 * set, 80 passages of 20 to 180 words of the benchmark corpus (at most about 250
	 * tokens, below the 256 both truncate at).
	 */
	static List<String> corpus(int maxCharacters) throws IOException {
		List<String> texts = new ArrayList<>();
		Files.readAllLines(Path.of("src/main/resources/datasets/vader/vader_lexicon.txt"))
			.stream()
			.map((line) -> line.split("\t")[0])
			.filter((word) -> word.chars().allMatch(Character::isLetter))
			.limit(80)
			.forEach(texts::add);
		Files.readAllLines(Path.of("src/main/resources/datasets/evaluation/sentiment-evaluation.tsv"))
			.stream()
			.filter((line) -> !line.startsWith("#") && line.contains("\t"))
			.map((line) -> line.split("\t", 2)[1])
			.limit(80)
			.forEach(texts::add);
		List<String> words = List.of(String.join(" ", Files.readAllLines(Path.of("bench/corpus.txt"))).split("\\s+"));
		int at = 0;
		for (int i = 0; i < 80; i++) {
			int length = 20 + (i * 160 / 79);
			String passage = String.join(" ",
					words.subList(at % (words.size() - 200), at % (words.size() - 200) + length));
			// Within the default limit of 1,024 characters (about 230 tokens of this
			// prose).
			texts.add((passage.length() <= 480) ? passage : passage.substring(0, passage.lastIndexOf(" ", 480)));
			at += length;
		}
		return texts;
	}

}
