package io.eino.serving.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.ai.openai.OpenAiEmbeddingOptions;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The three OpenAI clients a JVM team embeds with, unchanged and pointed at the running
 * service: the official OpenAI Java SDK, LangChain4j's {@code OpenAiEmbeddingModel} and
 * Spring AI's {@code OpenAiEmbeddingModel}. Each embeds the same 240 texts and gets
 * LangChain4j's in-process {@code AllMiniLmL6V2EmbeddingModel}'s vectors (within 1e-4 and
 * cosine 0.99999 while the model serves fp32, within the embedding gate's cosine of 0.999
 * if the startup step served a reduced precision), and each raises its own typed
 * exception for a bad request. The LangChain4j and Spring AI set-ups are the ones
 * docs/embeddings.md shows, checked to be the same text.
 */
class EmbeddingClientsIntegrationTest extends DefaultServingContext {

	private static List<String> texts;

	private static List<float[]> reference;

	@LocalServerPort
	private int port;

	@Autowired
	private WebTestClient client;

	@BeforeAll
	static void embedInProcess() throws IOException {
		texts = EmbeddingsIntegrationTest.corpus(480);
		reference = EmbeddingsIntegrationTest.reference();
	}

	@Test
	void theOpenAiJavaSdkEmbedsAndRaisesItsTypedErrors() {
		OpenAIClient openAi = OpenAIOkHttpClient.builder()
			.baseUrl("http://127.0.0.1:" + this.port + "/v1")
			.apiKey("not-used")
			.build();
		// All 240 texts in one request: split over batches, answered in order.
		assertMatchesReference("OpenAI Java SDK", texts.size(), (part) -> {
			CreateEmbeddingResponse response = openAi.embeddings()
				.create(EmbeddingCreateParams.builder().model(EMBEDDINGS).inputOfArrayOfStrings(part).build());
			assertThat(response.usage().promptTokens()).isGreaterThanOrEqualTo(3L * part.size());
			List<float[]> vectors = new ArrayList<>();
			response.data().forEach((item) -> {
				assertThat(item.index()).isEqualTo(vectors.size());
				vectors.add(floats(item.embedding()));
			});
			return vectors;
		});
		assertThatExceptionOfType(BadRequestException.class)
			.isThrownBy(() -> openAi.embeddings()
				.create(EmbeddingCreateParams.builder().model(EMBEDDINGS).input("text").dimensions(4096).build()))
			.satisfies((ex) -> assertThat(ex.statusCode()).isEqualTo(400))
			.withMessageContaining("'dimensions' is 4096");
		assertThatExceptionOfType(NotFoundException.class).isThrownBy(() -> openAi.embeddings()
			.create(EmbeddingCreateParams.builder().model("nothing-here").input("text").build()));
	}

	@Test
	void langChain4jsOpenAiEmbeddingModelEmbedsAndRaisesItsTypedErrors() {
		String baseUrl = "http://127.0.0.1:" + this.port + "/v1";
		// docs: langchain4j
		EmbeddingModel model = OpenAiEmbeddingModel.builder()
			.baseUrl(baseUrl)
			.apiKey("not-used")
			.modelName("all-minilm-l6-v2")
			.build();
		List<Embedding> embeddings = model.embedAll(List.of(TextSegment.from("A fine film"))).content();
		// end
		assertThat(embeddings).hasSize(1);
		assertMatchesReference("LangChain4j OpenAiEmbeddingModel", 32,
				(part) -> model.embedAll(part.stream().map(TextSegment::from).toList())
					.content()
					.stream()
					.map(Embedding::vector)
					.toList());
		EmbeddingModel tooWide = OpenAiEmbeddingModel.builder()
			.baseUrl(baseUrl)
			.apiKey("not-used")
			.modelName(EMBEDDINGS)
			.dimensions(4096)
			.maxRetries(0)
			.build();
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> tooWide.embed("text"))
			.withMessageContaining("'dimensions' is 4096");
	}

	@Test
	void springAisOpenAiEmbeddingModelEmbedsAndRaisesItsTypedErrors() {
		String baseUrl = "http://127.0.0.1:" + this.port + "/v1";
		// docs: spring-ai
		org.springframework.ai.embedding.EmbeddingModel model = org.springframework.ai.openai.OpenAiEmbeddingModel
			.builder()
			.options(OpenAiEmbeddingOptions.builder()
				.baseUrl(baseUrl)
				.apiKey("not-used")
				.model("all-minilm-l6-v2")
				.build())
			.build();
		float[] vector = model.embed("A fine film");
		// end
		assertThat(vector).hasSize(384);
		assertMatchesReference("Spring AI OpenAiEmbeddingModel", 32, model::embed);
		org.springframework.ai.embedding.EmbeddingModel tooWide = org.springframework.ai.openai.OpenAiEmbeddingModel
			.builder()
			.options(OpenAiEmbeddingOptions.builder()
				.baseUrl(baseUrl)
				.apiKey("not-used")
				.model(EMBEDDINGS)
				.dimensions(4096)
				.maxRetries(0)
				.build())
			.build();
		assertThatThrownBy(() -> tooWide.embed("text")).hasMessageContaining("'dimensions' is 4096")
			.isInstanceOf(BadRequestException.class);
	}

	@Test
	void theDocsShowTheSetUpsThisTestRuns() throws IOException {
		String source = Files
			.readString(Path.of("src/test/java/io/eino/serving/api/EmbeddingClientsIntegrationTest.java"));
		String docs = normalized(Files.readString(Path.of("docs/embeddings.md")));
		Matcher snippet = Pattern.compile("// docs: (\\S+)\\n(.*?)// end", Pattern.DOTALL).matcher(source);
		List<String> shown = new ArrayList<>();
		while (snippet.find()) {
			assertThat(docs).as("docs/embeddings.md shows the %s set-up", snippet.group(1))
				.contains(normalized(snippet.group(2)));
			shown.add(snippet.group(1));
		}
		assertThat(shown).containsExactly("langchain4j", "spring-ai");
	}

	/**
	 * Embeds the texts in parts of {@code size} with {@code embed} and compares every
	 * vector with the in-process reference.
	 */
	private void assertMatchesReference(String client, int size, Function<List<String>, List<float[]>> embed) {
		List<float[]> vectors = new ArrayList<>();
		for (int from = 0; from < texts.size(); from += size) {
			List<float[]> part = embed.apply(texts.subList(from, Math.min(texts.size(), from + size)));
			assertThat(part).hasSize(Math.min(size, texts.size() - from));
			vectors.addAll(part);
		}
		double maxAbs = 0;
		double minCosine = 1;
		for (int text = 0; text < texts.size(); text++) {
			float[] got = vectors.get(text);
			float[] want = reference.get(text);
			assertThat(got).hasSize(want.length);
			double dot = 0;
			double gotNorm = 0;
			double wantNorm = 0;
			for (int i = 0; i < got.length; i++) {
				maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
				dot += (double) got[i] * want[i];
				gotNorm += (double) got[i] * got[i];
				wantNorm += (double) want[i] * want[i];
			}
			minCosine = Math.min(minCosine, dot / Math.sqrt(gotNorm * wantNorm));
		}
		String precision = servedPrecision();
		System.out.printf("%s: %d texts, precision served %s, largest difference %.2g, smallest cosine %.7f%n", client,
				texts.size(), precision, maxAbs, minCosine);
		if (precision.equals("fp32")) {
			assertThat(maxAbs).as(client + ": largest difference of any component").isLessThanOrEqualTo(1e-4);
			assertThat(minCosine).as(client + ": smallest cosine").isGreaterThanOrEqualTo(0.99999);
		}
		else {
			assertThat(minCosine).as(client + ": smallest cosine, " + precision).isGreaterThanOrEqualTo(0.999);
		}
	}

	private String servedPrecision() {
		JsonNode metadata = ApiTests.okNode(this.client.get().uri("/v1/models/" + EMBEDDINGS + "/metadata").exchange());
		return metadata.findValue("precision").stringValue();
	}

	private static float[] floats(List<? extends Number> values) {
		float[] vector = new float[values.size()];
		for (int i = 0; i < vector.length; i++) {
			vector[i] = values.get(i).floatValue();
		}
		return vector;
	}

	private static String normalized(String code) {
		return code.replaceAll("\\s+", " ").trim();
	}

}
