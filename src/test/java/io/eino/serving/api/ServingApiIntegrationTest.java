package io.eino.serving.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.eino.serving.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole service over HTTP with the real TensorFlow model: the default sentiment model
 * and an embedding model served side by side from one repository
 * ({@link DefaultServingContext}).
 */
class ServingApiIntegrationTest extends DefaultServingContext {

	@Autowired
	private WebTestClient client;

	@LocalManagementPort
	private int managementPort;

	@Test
	void predictsSentimentInRowFormat() {
		Map<String, Object> body = predict("sentiment", "{\"instances\":[\"What a wonderful film\"]}");
		List<Map<String, Object>> predictions = rows(body.get("predictions"));
		assertThat(predictions).hasSize(1);
		assertThat(predictions.get(0)).containsEntry("label", "positive");
		assertThat((Double) predictions.get(0).get("score")).isGreaterThan(0.9);
		Map<String, Double> scores = map(predictions.get(0).get("scores"));
		assertThat(scores).containsOnlyKeys("negative", "positive");
		assertThat(scores.get("negative") + scores.get("positive")).isCloseTo(1.0,
				org.assertj.core.data.Offset.offset(1e-5));
	}

	@Test
	@SuppressWarnings("unchecked")
	void theMetadataAccountsForEachOptimisationStepsTimeByOpType() {
		Map<String, Object> metadata = (Map<String, Object>) get("/v1/models/sentiment/metadata").get("metadata");
		Map<String, Object> runtime = (Map<String, Object>) ((Map<String, Object>) metadata.get("eino")).get("runtime");
		List<Map<String, Object>> steps = (List<Map<String, Object>>) runtime.get("optimization_steps");
		List<Map<String, Object>> measured = steps.stream().filter((step) -> step.containsKey("op_time")).toList();
		assertThat(measured).extracting((step) -> step.get("name"))
			.contains("graph as imported (baseline)", "grappler");
		for (Map<String, Object> step : measured) {
			List<Map<String, Object>> ops = (List<Map<String, Object>>) step.get("op_time");
			assertThat(ops).isNotEmpty().hasSizeLessThanOrEqualTo(10);
			// The matrix products take most of the graph as imported's time (in a
			// candidate, fused or in bf16, they may not).
			if (step.get("name").equals("graph as imported (baseline)")) {
				assertThat((String) ops.get(0).get("op")).contains("MatMul");
			}
			assertThat(((Number) step.get("op_time_ms")).doubleValue()).isPositive();
			assertThat(((Number) step.get("nodes_run")).intValue()).isGreaterThan(100);
		}
		// The importer's 13 LayerNorms run fused in every step; Grappler adds the 36
		// encoder products fused with their bias (6 of them with GELU).
		assertThat(fusedNodes(measured, "graph as imported (baseline)")).isEqualTo(13);
		assertThat(fusedNodes(measured, "grappler")).isGreaterThanOrEqualTo(13 + 36);
	}

	private static int fusedNodes(List<Map<String, Object>> steps, String name) {
		return steps.stream()
			.filter((step) -> name.equals(step.get("name")))
			.map((step) -> ((Number) step.get("fused_nodes")).intValue())
			.findFirst()
			.orElseThrow();
	}

	@Test
	@SuppressWarnings("unchecked")
	void explainsATextClassificationWordByWord() {
		Map<String, Object> body = postOk("/v1/models/sentiment:explain",
				"{\"instances\":[\"What a wonderful film\",\"dreadful\"]}");
		List<Map<String, Object>> explanations = (List<Map<String, Object>>) body.get("explanations");
		assertThat(explanations).hasSize(2);
		assertThat(explanations.get(0)).containsEntry("label", "positive");
		List<Map<String, Object>> words = (List<Map<String, Object>>) explanations.get(0).get("words");
		assertThat(words).extracting((word) -> word.get("word")).containsExactly("What", "a", "wonderful", "film");
		Map<String, Object> strongest = words.stream()
			.max(java.util.Comparator.comparingDouble((word) -> ((Number) word.get("weight")).doubleValue()))
			.orElseThrow();
		assertThat(strongest).containsEntry("word", "wonderful");
		// One word: weighed against the uniform prior.
		List<Map<String, Object>> single = (List<Map<String, Object>>) explanations.get(1).get("words");
		assertThat(((Number) single.get(0).get("weight")).doubleValue()).isPositive();
		problem(post("/v1/models/" + EMBEDDINGS + ":explain", "{\"instances\":[\"hi\"]}"), 400, "unknown-signature");
	}

	@Test
	void readsTfServingBinaryValuesAsText() {
		// {"b64": …} is TF Serving's JSON for binary strings; "I love this film" here.
		Map<String, Object> body = predict("sentiment",
				"{\"instances\":[{\"b64\":\"SSBsb3ZlIHRoaXMgZmlsbQ==\"},\"I hated every minute of it.\"]}");
		assertThat(rows(body.get("predictions"))).extracting((prediction) -> prediction.get("label"))
			.containsExactly("positive", "negative");
	}

	@Test
	void returnsPredictionsInRequestOrder() {
		Map<String, Object> body = predict("sentiment",
				"{\"instances\":[\"I hated every minute of it.\",\"Absolutely delightful!\",\"The food was cold and the staff rude.\"]}");
		assertThat(rows(body.get("predictions"))).extracting((prediction) -> prediction.get("label"))
			.containsExactly("negative", "positive", "negative");
	}

	@Test
	void acceptsColumnarTextAndVersionPinnedRequests() {
		Map<String, Object> body = postOk("/v1/models/sentiment/versions/" + V + ":predict",
				"{\"inputs\":[\"great\",\"terrible\"]}");
		// Columnar: an object of the named outputs, each a list in text order.
		Map<String, Object> outputs = map(body.get("outputs"));
		assertThat(outputs).containsOnlyKeys("label", "score", "scores");
		assertThat(list(outputs.get("label"))).containsExactly("positive", "negative");
		assertThat(list(outputs.get("score"))).hasSize(2);
		problem(post("/v1/models/sentiment/versions/7:predict", "{\"instances\":[\"x\"]}"), 404, "unknown-model");
	}

	@Test
	void runsTheSignatureOnRawTokenTensors() {
		String tokens = "\"input_ids\":[101,2307,102],\"attention_mask\":[1,1,1],\"token_type_ids\":[0,0,0]";
		Map<String, Object> rows = predict("sentiment",
				"{\"signature_name\":\"serving_default\",\"instances\":[{" + tokens + "}]}");
		Map<String, Object> first = rows(rows.get("predictions")).get(0);
		assertThat(first).containsKeys("last_hidden_state", "sentence_embedding", "logits", "probabilities");
		List<Double> probabilities = list(first.get("probabilities"));
		assertThat(probabilities.get(1)).isGreaterThan(0.9);

		Map<String, Object> columns = predict("sentiment",
				"{\"inputs\":{\"input_ids\":[[101,2307,102]],\"attention_mask\":[[1,1,1]],\"token_type_ids\":[[0,0,0]]}}");
		List<List<Double>> columnProbabilities = list(map(columns.get("outputs")).get("probabilities"));
		assertThat(columnProbabilities.get(0).get(1)).isCloseTo(probabilities.get(1),
				org.assertj.core.data.Offset.offset(1e-6));
	}

	@Test
	void servesASecondModelSideBySide() {
		Map<String, Object> body = predict(EMBEDDINGS, "{\"instances\":[\"a sentence to embed\"]}");
		List<List<Double>> vectors = list(body.get("predictions"));
		assertThat(vectors.get(0)).hasSize(384);
		double norm = Math.sqrt(vectors.get(0).stream().mapToDouble((v) -> v * v).sum());
		assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
	}

	@Test
	void reportsModelStatusAndMetadataInTensorFlowServingShapes() {
		Map<String, Object> status = get("/v1/models/sentiment");
		Map<String, Object> version = rows(status.get("model_version_status")).get(0);
		assertThat(version).containsEntry("version", V).containsEntry("state", "AVAILABLE");
		assertThat(map(version.get("status"))).containsEntry("error_code", "OK");
		// The same body is KServe V1's model status: its client reads "ready".
		assertThat(status).containsEntry("name", "sentiment").containsEntry("ready", true);
		assertThat(get("/v1/models/sentiment/versions/" + V)).containsEntry("ready", true);
		// KServe V1's model list.
		assertThat(list(get("/v1/models").get("models"))).containsExactly(EMBEDDINGS, "mixed", "pixels", "sentiment");

		Map<String, Object> metadata = get("/v1/models/sentiment/metadata");
		assertThat(map(metadata.get("model_spec"))).containsEntry("name", "sentiment").containsEntry("version", V);
		Map<String, Object> signature = map(
				map(map(map(metadata.get("metadata")).get("signature_def")).get("signature_def"))
					.get("serving_default"));
		assertThat(signature).containsEntry("method_name", "tensorflow/serving/predict");
		Map<String, Object> inputIds = map(map(signature.get("inputs")).get("input_ids"));
		assertThat(inputIds).containsEntry("dtype", "DT_INT64");
		assertThat(map(signature.get("outputs"))).containsKeys("last_hidden_state", "sentence_embedding", "logits",
				"probabilities");
	}

	@Test
	void answersOpenInferenceProtocolHealthAndMetadata() {
		Map<String, Object> server = get("/v2");
		assertThat(server).containsEntry("name", "eino-serving").containsKey("extensions");
		assertThat((String) server.get("version")).isNotBlank();
		assertThat(get("/v2/health/live")).containsEntry("live", true);
		assertThat(get("/v2/health/ready")).containsEntry("ready", true);
		assertThat(get("/v2/models/sentiment/ready")).containsEntry("ready", true).containsEntry("name", "sentiment");
		Map<String, Object> metadata = get("/v2/models/sentiment");
		assertThat(metadata).containsEntry("name", "sentiment").containsEntry("platform", "tensorflow_savedmodel");
		assertThat(list(metadata.get("versions"))).containsExactly(V);
		assertThat(rows(metadata.get("inputs"))).extracting((input) -> input.get("name"))
			.contains("text", "input_ids", "attention_mask", "token_type_ids");
		// Each output once, with its true shape.
		List<Map<String, Object>> outputs = rows(metadata.get("outputs"));
		assertThat(outputs).extracting((output) -> output.get("name"))
			.doesNotHaveDuplicates()
			.contains("label", "score", "probabilities", "sentence_embedding");
		assertThat(outputs).filteredOn((output) -> output.get("name").equals("probabilities"))
			.singleElement()
			.satisfies((output) -> assertThat(list(output.get("shape"))).containsExactly(-1, 2));
		assertThat(rows(get("/v2/models/" + EMBEDDINGS).get("outputs"))).extracting((output) -> output.get("name"))
			.doesNotHaveDuplicates();
	}

	@Test
	void infersTextAndTensorsOverOpenInferenceProtocol() {
		Map<String, Object> text = postOk("/v2/models/sentiment/infer",
				"{\"id\":\"r1\",\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[2],"
						+ "\"data\":[\"I love it\",\"I hate it\"]}]}");
		assertThat(text).containsEntry("model_name", "sentiment").containsEntry("id", "r1");
		// An id comes back with its JSON type; a signature_name naming the text
		// signature is accepted.
		assertThat(postOk("/v2/models/sentiment/infer",
				"{\"id\":42,\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1,1],\"data\":[\"fine\"]}]}"))
			.containsEntry("id", 42);
		// Data nested as the shape, as the protocol allows.
		Map<String, Object> nested = postOk("/v2/models/sentiment/infer",
				"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[2,1],"
						+ "\"data\":[[\"I love it\"],[\"I hate it\"]]}]}");
		assertThat(list(rows(nested.get("outputs")).get(0).get("data"))).containsExactly("positive", "negative");
		assertThat(predict("sentiment", "{\"signature_name\":\"serving_default\",\"instances\":[\"fine\"]}"))
			.containsKey("predictions");
		Map<String, Object> label = rows(text.get("outputs")).get(0);
		assertThat(label).containsEntry("name", "label").containsEntry("datatype", "BYTES");
		assertThat(list(label.get("data"))).containsExactly("positive", "negative");

		Map<String, Object> tensors = postOk("/v2/models/sentiment/versions/" + V + "/infer",
				"{\"inputs\":["
						+ "{\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":[1,3],\"data\":[101,2307,102]},"
						+ "{\"name\":\"attention_mask\",\"datatype\":\"INT64\",\"shape\":[1,3],\"data\":[1,1,1]},"
						+ "{\"name\":\"token_type_ids\",\"datatype\":\"INT64\",\"shape\":[1,3],\"data\":[0,0,0]}],"
						+ "\"outputs\":[{\"name\":\"probabilities\"}]}");
		Map<String, Object> probabilities = rows(tensors.get("outputs")).get(0);
		assertThat(probabilities).containsEntry("name", "probabilities").containsEntry("datatype", "FP32");
		assertThat(list(probabilities.get("shape"))).containsExactly(1, 2);
	}

	@Test
	void readinessOnTheManagementPortIncludesTheModels() {
		Map<String, Object> readiness = ApiTests.management(this.managementPort, "/actuator/health/readiness");
		assertThat(readiness).containsEntry("status", "UP");
		assertThat(map(readiness.get("components"))).containsKeys("models", "readinessState");
	}

	@Test
	void classifiesTheEvaluationSetAboveEightyEightPercent() {
		List<TestModels.LabelledText> set = TestModels.evaluationSet();
		assertThat(set).hasSizeGreaterThanOrEqualTo(200);
		int correct = 0;
		for (int start = 0; start < set.size(); start += 32) {
			List<TestModels.LabelledText> slice = set.subList(start, Math.min(set.size(), start + 32));
			List<String> texts = slice.stream().map(TestModels.LabelledText::text).toList();
			Map<String, Object> body = postOk("/v1/models/sentiment:predict", Map.of("instances", texts));
			List<Map<String, Object>> predictions = rows(body.get("predictions"));
			for (int i = 0; i < slice.size(); i++) {
				if (slice.get(i).label().equals(predictions.get(i).get("label"))) {
					correct++;
				}
			}
		}
		double accuracy = (double) correct / set.size();
		System.out.printf("evaluation set: %d/%d correct, accuracy %.4f%n", correct, set.size(), accuracy);
		assertThat(accuracy).isGreaterThanOrEqualTo(0.88);
	}

	static Stream<Arguments> badRequests() {
		return Stream.of(
				Arguments.of("malformed JSON", "/v1/models/sentiment:predict", "{\"instances\":[", 400,
						"malformed-json"),
				Arguments.of("unknown model", "/v1/models/nope:predict", "{\"instances\":[\"x\"]}", 404,
						"unknown-model"),
				Arguments.of("empty instances", "/v1/models/sentiment:predict", "{\"instances\":[]}", 400,
						"empty-instances"),
				Arguments.of("neither instances nor inputs", "/v1/models/sentiment:predict", "{}", 400,
						"request-shape"),
				Arguments.of("both instances and inputs", "/v1/models/sentiment:predict",
						"{\"instances\":[\"a\"],\"inputs\":[\"b\"]}", 400, "request-shape"),
				Arguments.of("numbers as instances", "/v1/models/sentiment:predict", "{\"instances\":[1,2]}", 400,
						"instance-type"),
				Arguments.of("null instance", "/v1/models/sentiment:predict", "{\"instances\":[null]}", 400,
						"instance-type"),
				Arguments.of("body not an object", "/v1/models/sentiment:predict", "[\"x\"]", 400, "request-shape"),
				Arguments.of("ragged tensor", "/v1/models/sentiment:predict",
						"{\"inputs\":{\"input_ids\":[[101,102],[101]],\"attention_mask\":[[1,1],[1]],\"token_type_ids\":[[0,0],[0]]}}",
						400, "input-shape"),
				Arguments.of("float token ids", "/v1/models/sentiment:predict",
						"{\"inputs\":{\"input_ids\":[[1.5]],\"attention_mask\":[[1]],\"token_type_ids\":[[0]]}}", 400,
						"input-datatype"),
				Arguments.of("missing token input", "/v1/models/sentiment:predict",
						"{\"inputs\":{\"input_ids\":[[101,102]]}}", 400, "missing-input"),
				Arguments.of("unknown signature", "/v1/models/sentiment:predict",
						"{\"signature_name\":\"nope\",\"inputs\":{\"input_ids\":[[101]]}}", 400, "unknown-signature"),
				Arguments.of("token id out of vocabulary", "/v1/models/sentiment:predict",
						"{\"inputs\":{\"input_ids\":[[101,99999999,102]],\"attention_mask\":[[1,1,1]],\"token_type_ids\":[[0,0,0]]}}",
						422, "invalid-tensor"),
				Arguments.of("b64 that is not base64", "/v1/models/sentiment:predict",
						"{\"instances\":[{\"b64\":\"not base64!\"}]}", 400, "instance-type"),
				Arguments.of("b64 of bytes that are not UTF-8", "/v1/models/sentiment:predict",
						"{\"instances\":[{\"b64\":\"/w==\"}]}", 400, "malformed-utf8"),
				// TF Serving's JSON takes NaN: it is read, and refused as no text.
				Arguments.of("NaN as an instance", "/v1/models/sentiment:predict", "{\"instances\":[NaN]}", 400,
						"instance-type"),
				Arguments.of("unknown signature on a text request", "/v1/models/sentiment:predict",
						"{\"signature_name\":\"nope\",\"instances\":[\"a fine film\"]}", 400, "unknown-signature"),
				Arguments.of("v2 without inputs", "/v2/models/sentiment/infer", "{\"id\":\"x\"}", 400, "request-shape"),
				Arguments.of("v2 BYTES shape disagreeing with its data", "/v2/models/sentiment/infer",
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[3],\"data\":[\"a\",\"b\"]}]}",
						400, "input-shape"),
				Arguments.of("v2 shape mismatch", "/v2/models/sentiment/infer",
						"{\"inputs\":[{\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":[1,5],\"data\":[101,102]}]}",
						400, "input-shape"),
				Arguments.of("v2 unknown model", "/v2/models/nope/infer",
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"x\"]}]}", 404,
						"unknown-model"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("badRequests")
	void answersBadRequestsWithProblems(String name, String uri, String body, int status, String rule) {
		problem(post(uri, body), status, rule);
		assertThat(predict("sentiment", "{\"instances\":[\"still serving\"]}")).containsKey("predictions");
	}

	@Test
	void refusesOtherMediaTypesWithAProblem() {
		WebTestClient.ResponseSpec response = this.client.post()
			.uri("/v1/models/sentiment:predict")
			.contentType(MediaType.TEXT_PLAIN)
			.bodyValue("What a wonderful film")
			.exchange();
		problem(response, 415, "unsupported-media-type");
	}

	private WebTestClient.ResponseSpec post(String uri, String body) {
		return this.client.post().uri(uri).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
	}

	private static void problem(WebTestClient.ResponseSpec response, int status, String rule) {
		ApiTests.problem(response, status, rule, "input");
	}

	private Map<String, Object> predict(String model, String body) {
		return postOk("/v1/models/" + model + ":predict", body, model.equals(EMBEDDINGS) ? EMBEDDINGS_V : V);
	}

	/** A successful inference: 200 with the model version header. */
	private Map<String, Object> postOk(String uri, Object body) {
		return postOk(uri, body, V);
	}

	private Map<String, Object> postOk(String uri, Object body, String version) {
		return ApiTests.okJson(this.client.post()
			.uri(uri)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectHeader()
			.valueEquals(ApiHeaders.MODEL_VERSION, version));
	}

	private Map<String, Object> get(String uri) {
		return ApiTests.okJson(this.client.get().uri(uri).exchange());
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> rows(Object value) {
		return (List<Map<String, Object>>) value;
	}

	@SuppressWarnings("unchecked")
	private static <T> List<T> list(Object value) {
		return new ArrayList<>((List<T>) value);
	}

	@SuppressWarnings("unchecked")
	private static <V> Map<String, V> map(Object value) {
		return (Map<String, V>) value;
	}

}
