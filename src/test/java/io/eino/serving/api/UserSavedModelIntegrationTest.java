package io.eino.serving.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.eino.serving.KerasForms;
import io.eino.serving.TestTags;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.repository.ModelRepository;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A text classifier as a user brings it: a SavedModel written in Keras' op forms
 * ({@link KerasForms}: tensordot products, {@code tf.nn.gelu}, LayerNorm through
 * {@code tf.nn.moments} with BERT's ε = 1e-12, attention's scores divided by √d), with
 * the default model's tokenizer and a {@code model.yaml}, served over HTTP with every
 * setting at its default. The startup step measures Grappler with the encoder rewrites
 * (its note says which, and the rewritten graph runs the LayerNorms and products fused),
 * serves whichever candidate its timings chose, and the answers are the graph's as saved.
 */
@Tag(TestTags.TENSORFLOW)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "PT60S")
class UserSavedModelIntegrationTest {

	private static final String MODEL = "keras";

	private static final int FEATURES = 64;

	private static final float EPSILON = 1e-12f;

	private static final List<String> TEXTS = List.of("What a wonderful film", "A dull, lifeless script");

	private static Path version;

	@Autowired
	private WebTestClient client;

	@DynamicPropertySource
	static void repository(DynamicPropertyRegistry registry) throws Exception {
		Path repository = Files.createTempDirectory("eino-keras-model");
		version = repository.resolve(MODEL).resolve("1");
		install(version);
		registry.add("eino.repository.path", repository::toString);
		registry.add("eino.repository.install-default-model", () -> "false");
		registry.add("eino.models.sentiment.enabled", () -> "false");
		registry.add("eino.models." + MODEL + ".enabled", () -> "true");
		registry.add("eino.grpc.enabled", () -> "false");
	}

	@Test
	@SuppressWarnings("unchecked")
	void theStartupStepMeasuresGrapplerWithTheEncoderRewrites() {
		Map<String, Object> metadata = (Map<String, Object>) get("/v1/models/" + MODEL + "/metadata").get("metadata");
		Map<String, Object> runtime = (Map<String, Object>) ((Map<String, Object>) metadata.get("eino")).get("runtime");
		List<Map<String, Object>> steps = (List<Map<String, Object>>) runtime.get("optimization_steps");
		Map<String, Object> grappler = steps.stream()
			.filter((step) -> "grappler".equals(step.get("name")))
			.findFirst()
			.orElseThrow();
		assertThat((String) grappler.get("note")).contains("3 LayerNorms as _MklLayerNorm",
				"7 biases onto their products", "1 GELUs in the fused form",
				"1 attention scales folded into their projections", "speed-up");
		// The 3 LayerNorms and the 6 encoder products (one with its GELU) ran fused.
		assertThat(((Number) grappler.get("fused_nodes")).intValue()).isGreaterThanOrEqualTo(3 + 6);
		// Exactly one way serves: the graph as imported or a candidate its timings kept.
		assertThat(steps.stream().filter((step) -> Boolean.TRUE.equals(step.get("applied")))).hasSize(1);
	}

	@Test
	@SuppressWarnings("unchecked")
	void predictionsAreTheGraphsAsSaved() throws Exception {
		Map<String, Object> body = body(this.client.post()
			.uri("/v1/models/" + MODEL + ":predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(Map.of("instances", TEXTS)));
		List<Map<String, Object>> predictions = (List<Map<String, Object>>) body.get("predictions");
		float[] expected = asSaved();
		assertThat(predictions).hasSize(TEXTS.size());
		for (int row = 0; row < TEXTS.size(); row++) {
			Map<String, Double> scores = (Map<String, Double>) predictions.get(row).get("scores");
			// bf16 may serve: the startup step's gate allows 0.02.
			assertThat(scores.get("negative")).isCloseTo(expected[2 * row], within(0.02));
			assertThat(scores.get("positive")).isCloseTo(expected[2 * row + 1], within(0.02));
		}
	}

	private Map<String, Object> get(String path) {
		return body(this.client.get().uri(path));
	}

	/** The JSON object a request answers with 200. */
	private static Map<String, Object> body(WebTestClient.RequestHeadersSpec<?> request) {
		return request.exchange()
			.expectStatus()
			.isOk()
			.expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
			})
			.returnResult()
			.getResponseBody();
	}

	/** The probabilities of {@link #TEXTS} from the graph as saved (no optimisation). */
	private static float[] asSaved() throws Exception {
		try (TextTokenizer tokenizer = TextTokenizer.load(version.resolve("tokenizer.json"), 128, Overflow.TRUNCATE);
				SavedModelRunner runner = SavedModelRunner.load(version,
						SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false))) {
			return ((HostTensor.Float32) runner
				.run("serving_default", tokenizer.encode(TEXTS).asInputs(), List.of("probabilities"))
				.get("probabilities")).values();
		}
	}

	/**
	 * One encoder layer over word, position and type embeddings, mean pooling over the
	 * mask, a linear head and softmax; with the tokenizer, {@code model.yaml} and the
	 * READY marker.
	 */
	private static void install(Path version) throws IOException {
		Files.createDirectories(version);
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			KerasForms keras = new KerasForms(tf, 5);
			Placeholder<TInt64> ids = keras.tokens("input_ids", TInt64.class);
			Placeholder<TInt64> mask = keras.tokens("attention_mask", TInt64.class);
			Placeholder<TInt64> types = keras.tokens("token_type_ids", TInt64.class);
			Operand<TFloat32> embedded = keras.layerNorm(keras.embeddings(ids, types, FEATURES), FEATURES, EPSILON);
			Operand<TFloat32> hidden = keras.encoderLayer(embedded, keras.maskBias(mask), FEATURES, 4, 2 * FEATURES,
					EPSILON);
			Operand<TFloat32> real = tf.dtypes.cast(mask, TFloat32.class);
			Operand<TFloat32> weights = tf.expandDims(real, tf.constant(2));
			Operand<TFloat32> pooled = tf.math.div(tf.reduceSum(tf.math.mul(hidden, weights), tf.constant(1)),
					tf.reduceSum(weights, tf.constant(1)));
			Operand<TFloat32> logits = tf.math.add(
					tf.linalg.matMul(pooled, keras.weights(Shape.of(FEATURES, 2), 1f, 0)),
					keras.weights(Shape.of(2), 0.1f, 0));
			keras.export(graph,
					Signature.builder()
						.key("serving_default")
						.input("input_ids", ids)
						.input("attention_mask", mask)
						.input("token_type_ids", types)
						.output("probabilities", tf.withName("probabilities").identity(tf.nn.softmax(logits)))
						.build(),
					version);
		}
		DefaultModel.extractTokenizer(version);
		new ModelDescriptor(ModelDescriptor.Task.CLASSIFICATION, "serving_default", "tokenizer.json", 128,
				Overflow.TRUNCATE, List.of("negative", "positive"), "probabilities", null, List.of(), List.of())
			.write(version.getParent().resolve(ModelDescriptor.FILE_NAME));
		Files.createFile(version.resolve(ModelRepository.READY_MARKER));
	}

}
