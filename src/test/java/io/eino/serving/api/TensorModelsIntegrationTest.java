package io.eino.serving.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.eino.serving.TensorModels;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static io.eino.serving.api.ApiTests.okJson;
import static io.eino.serving.api.ApiTests.problem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SavedModels without a text pipeline ({@link TensorModels}) over REST, in both
 * protocols: an image-shaped float model and a model with string and integer inputs and
 * every datatype TensorFlow Java has.
 */
class TensorModelsIntegrationTest extends DefaultServingContext {

	/** Two 4×4 RGB images, all 0.25 and all 0.75, as nested JSON arrays. */
	private static final String IMAGES = "[" + image(0.25) + "," + image(0.75) + "]";

	@Autowired
	private WebTestClient client;

	@Test
	void rowFormatOfAnImageModel() {
		// One input: each instance is the image itself; two outputs: an object per row.
		Map<String, Object> body = okJson(post("/v1/models/pixels:predict", "{\"instances\":" + IMAGES + "}"));
		assertThat(body.get("predictions")).isEqualTo(
				List.of(Map.of("brightness", 0.25, "bright", false), Map.of("brightness", 0.75, "bright", true)));
	}

	@Test
	void concurrentRequestsAreBatchedAndEachGetsItsOwnRows() {
		// serving_default batches by row: 32 requests at once, each its own brightness.
		List<Double> brightness = java.util.stream.IntStream.range(0, 32).mapToObj((i) -> i / 32.0).toList();
		List<Object> answers = reactor.core.publisher.Flux.fromIterable(brightness)
			.flatMap((value) -> this.client.post()
				.uri("/v1/models/pixels:predict")
				.contentType(MediaType.APPLICATION_JSON)
				.bodyValue("{\"instances\":[" + image(value) + "]}")
				.exchange()
				.returnResult(Map.class)
				.getResponseBody()
				.map((body) -> (Object) ((Map<?, ?>) ((List<?>) body.get("predictions")).get(0)).get("brightness")), 32)
			.collectList()
			.block(Duration.ofSeconds(60));
		assertThat(answers)
			.containsExactlyInAnyOrderElementsOf(brightness.stream().map((value) -> (Object) value).toList());
	}

	@Test
	@SuppressWarnings("unchecked")
	void columnarFormatAndANamedSignatureWithOneOutput() {
		Map<String, Object> body = okJson(post("/v1/models/pixels:predict",
				"{\"signature_name\":\"grayscale\",\"inputs\":{\"image\":[" + image(0.5) + "]}}"));
		// One output: "outputs" is that tensor, [1, 4, 4] here.
		List<?> gray = (List<?>) body.get("outputs");
		assertThat(gray).hasSize(1);
		assertThat((List<?>) gray.get(0)).hasSize(4)
			.allSatisfy((row) -> assertThat((List<Object>) row).containsOnly(0.5));
		problem(post("/v1/models/pixels:predict", "{\"signature_name\":\"nope\",\"instances\":" + IMAGES + "}"), 400,
				"unknown-signature", "input");
	}

	@Test
	void stringAndIntegerInputs() {
		Map<String, Object> body = okJson(post("/v1/models/mixed:predict",
				"{\"instances\":[{\"name\":\"Ada\",\"count\":21},{\"name\":{\"b64\":\"R3JhY2U=\"},\"count\":-4}]}"));
		assertThat(body.get("predictions")).isEqualTo(List.of(Map.of("greeting", "hello Ada", "count_doubled", 42),
				Map.of("greeting", "hello Grace", "count_doubled", -8)));
		// One input and one output: bare values each way.
		Map<String, Object> lengths = okJson(post("/v1/models/mixed:predict",
				"{\"signature_name\":\"length\",\"instances\":[\"abc\",{\"b64\":\"/wA=\"},\"\"]}"));
		assertThat(lengths.get("predictions")).isEqualTo(List.of(3, 2, 0));
	}

	@Test
	void everyDatatypeThroughTheOpenInferenceProtocol() {
		String request = """
				{"id": "types-1", "parameters": {"signature_name": "types"}, "inputs": [
				  {"name": "flag", "datatype": "BOOL", "shape": [2], "data": [true, false]},
				  {"name": "small", "datatype": "INT32", "shape": [2], "data": [-5, 2147483646]},
				  {"name": "weight", "datatype": "FP64", "shape": [2], "data": [1e300, -3.0]},
				  {"name": "half", "datatype": "FP16", "shape": [2], "data": [1.5, -0.25]},
				  {"name": "u8", "datatype": "UINT8", "shape": [2], "data": [0, 255]},
				  {"name": "u16", "datatype": "UINT16", "shape": [2], "data": [1, 65535]}]}
				""";
		Map<String, Object> body = okJson(post("/v2/models/mixed/infer", request));
		assertThat(body).containsEntry("id", "types-1").containsEntry("model_name", "mixed");
		Map<String, Map<String, Object>> outputs = byName(body);
		assertThat(outputs.get("flag_not")).containsEntry("datatype", "BOOL")
			.containsEntry("shape", List.of(2))
			.containsEntry("data", List.of(false, true));
		assertThat(outputs.get("small_plus_one")).containsEntry("datatype", "INT32")
			.containsEntry("data", List.of(-4, 2147483647));
		assertThat(outputs.get("weight_halved")).containsEntry("datatype", "FP64")
			.containsEntry("data", List.of(5e299, -1.5));
		assertThat(outputs.get("half_doubled")).containsEntry("datatype", "FP16")
			.containsEntry("data", List.of(3.0, -0.5));
		assertThat(outputs.get("u8_same")).containsEntry("datatype", "UINT8").containsEntry("data", List.of(0, 255));
		assertThat(outputs.get("u16_same")).containsEntry("datatype", "UINT16")
			.containsEntry("data", List.of(1, 65535));
	}

	@Test
	void bytesThroughTheOpenInferenceProtocol() {
		Map<String, Object> body = okJson(post("/v2/models/mixed/infer", """
				{"inputs": [{"name": "name", "datatype": "BYTES", "shape": [2], "data": ["Ada", "Grace"]},
				            {"name": "count", "datatype": "INT64", "shape": [2], "data": [1, 2]}],
				 "outputs": [{"name": "greeting"}]}
				"""));
		assertThat(byName(body)).containsOnlyKeys("greeting");
		assertThat(byName(body).get("greeting")).containsEntry("datatype", "BYTES")
			.containsEntry("data", List.of("hello Ada", "hello Grace"));
	}

	@Test
	void valuesOutsideTheirDatatypeOrShapeAreRefused() {
		String u8 = "{\"parameters\":{\"signature_name\":\"types\"},\"inputs\":[%s]}";
		problem(post("/v2/models/mixed/infer",
				u8.formatted("{\"name\":\"u8\",\"datatype\":\"UINT8\",\"shape\":[1],\"data\":[256]}")), 400,
				"input-datatype", "input");
		problem(post("/v2/models/mixed/infer",
				u8.formatted("{\"name\":\"half\",\"datatype\":\"FP16\",\"shape\":[3],\"data\":[1.0, 2.0]}")), 400,
				"input-shape", "input");
		problem(post("/v2/models/mixed/infer",
				u8.formatted("{\"name\":\"flag\",\"datatype\":\"INT32\",\"shape\":[1],\"data\":[1]}")), 400,
				"input-datatype", "input");
		problem(post("/v1/models/pixels:predict", "{\"instances\":[[1,2,3]]}"), 400, "input-shape", "input");
		problem(post("/v1/models/pixels:predict", "{\"instances\":[[[[1,2,3]]]]}"), 400, "input-shape", "input");
		problem(post("/v1/models/mixed:predict", "{\"instances\":[\"just text\"]}"), 400, "instance-type", "input");
	}

	@Test
	void classifyAndRegressRunTheirSignaturesOnExamples() {
		Map<String, Object> classified = okJson(post("/v1/models/mixed:classify",
				"{\"signature_name\":\"classify\",\"examples\":[{\"x\":1.5},{\"x\":[0.25]}]}"));
		assertThat(classified.get("results")).isEqualTo(List.of(List.of(List.of("low", 1.5), List.of("high", 3.0)),
				List.of(List.of("low", 0.25), List.of("high", 0.5))));
		// The context's features join every example.
		Map<String, Object> regressed = okJson(post("/v1/models/mixed/versions/1:regress",
				"{\"signature_name\":\"regress\",\"context\":{\"x\":2.5},\"examples\":[{},{\"x\":-1.5}]}"));
		assertThat(regressed.get("results")).isEqualTo(List.of(8.5, -3.5));
		// A signature of another method is refused, as TF Serving refuses it.
		problem(post("/v1/models/mixed:classify", "{\"signature_name\":\"regress\",\"examples\":[{\"x\":1.5}]}"), 400,
				"unknown-signature", "input");
		problem(post("/v1/models/mixed:regress", "{\"examples\":[]}"), 400, "empty-instances", "input");
	}

	@Test
	void aTextClassifierClassifiesTheTextOfEachExample() {
		Map<String, Object> body = okJson(post("/v1/models/sentiment:classify",
				"{\"examples\":[{\"text\":\"What a wonderful film\"},{\"review\":\"I hated every minute of it.\"}]}"));
		List<?> results = (List<?>) body.get("results");
		assertThat(results).hasSize(2);
		List<?> first = (List<?>) results.get(0);
		assertThat(first.stream().map((labelScore) -> (Object) ((List<?>) labelScore).get(0)).toList())
			.containsExactly("negative", "positive");
		List<?> second = (List<?>) results.get(1);
		// [label, score] per label, in label order: negative, positive.
		assertThat((Double) ((List<?>) first.get(1)).get(1)).isGreaterThan(0.9);
		assertThat((Double) ((List<?>) second.get(0)).get(1)).isGreaterThan(0.9);
		problem(post("/v1/models/" + EMBEDDINGS + ":classify", "{\"examples\":[{\"text\":\"hi\"}]}"), 400,
				"unknown-signature", "input");
	}

	@Test
	void metadataDescribesTheSignaturesAndNoTextPipeline() {
		Map<String, Object> metadata = okJson(client.get().uri("/v1/models/mixed/metadata").exchange());
		Map<String, Object> inner = map(metadata.get("metadata"));
		Map<String, Object> signatures = map(map(inner.get("signature_def")).get("signature_def"));
		assertThat(signatures).containsOnlyKeys("serving_default", "length", "types", "classify", "regress");
		assertThat(map(inner.get("eino"))).containsEntry("text_pipeline", null);
		Map<String, Object> oip = okJson(client.get().uri("/v2/models/pixels").exchange());
		assertThat(oip.get("inputs"))
			.isEqualTo(List.of(Map.of("name", "image", "datatype", "FP32", "shape", List.of(-1, 4, 4, 3))));
		assertThat(oip.get("outputs"))
			.isEqualTo(List.of(Map.of("name", "bright", "datatype", "BOOL", "shape", List.of(-1)),
					Map.of("name", "brightness", "datatype", "FP32", "shape", List.of(-1))));
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object json) {
		return (Map<String, Object>) json;
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Map<String, Object>> byName(Map<String, Object> body) {
		Map<String, Map<String, Object>> outputs = new java.util.LinkedHashMap<>();
		for (Object output : (List<?>) body.get("outputs")) {
			Map<String, Object> tensor = (Map<String, Object>) output;
			outputs.put((String) tensor.get("name"), tensor);
		}
		return outputs;
	}

	private WebTestClient.ResponseSpec post(String uri, String json) {
		return this.client.post().uri(uri).contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange();
	}

	private static String image(double value) {
		String pixel = "[" + value + "," + value + "," + value + "]";
		String row = "[" + String.join(",", java.util.Collections.nCopies(4, pixel)) + "]";
		return "[" + String.join(",", java.util.Collections.nCopies(4, row)) + "]";
	}

}
