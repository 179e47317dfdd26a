package io.eino.serving.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.eino.serving.client.ClientProperties;
import io.eino.serving.client.ClientResolver;
import io.eino.serving.client.SecurityProperties;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Rule;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.inference.ExampleInference;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.TestInference;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.StubVersion;
import io.eino.serving.server.Drain;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.ValidationProperties;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ApplicationAvailabilityBean;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webflux.test.autoconfigure.WebFluxTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web layer alone (Spring's {@code @WebFluxTest}): both protocols' controllers, the
 * admission door and the problem handler, over the real service layer and a
 * {@link StubVersion} instead of TensorFlow, so that it runs in seconds. Checks the API
 * shapes, the headers, and the problem body of every rule of the catalogue; the
 * end-to-end tests check the same paths against the real model.
 */
@WebFluxTest
class WebSliceTest {

	@Autowired
	private WebTestClient client;

	@Autowired
	private ModelRegistry registry;

	@TestConfiguration(proxyBeanMethods = false)
	static class Service {

		@Bean
		MeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

		@Bean
		ModelRegistry modelRegistry() {
			ModelRegistry registry = new ModelRegistry();
			registry.register("stub");
			registry.publish(new StubVersion("stub", 3));
			return registry;
		}

		@Bean
		InputPolicies inputPolicies() {
			return new InputPolicies(
					new ValidationProperties(DataSize.ofKilobytes(64), 4, 1024, List.of("[<>]"), true, 32, 0.5),
					Map.of());
		}

		@Bean
		InferenceService inferenceService(ModelRegistry registry, InputPolicies policies, MeterRegistry meters) {
			return TestInference.service(registry, policies, meters);
		}

		@Bean
		ExampleInference exampleInference(InferenceService inference) {
			return new ExampleInference(inference);
		}

		@Bean
		ClientResolver clientResolver() {
			return new ClientResolver(new ClientProperties(List.of("127.0.0.0/8")), new SecurityProperties(null, true));
		}

		@Bean
		ApplicationAvailabilityBean applicationAvailability() {
			return new ApplicationAvailabilityBean();
		}

		@Bean
		Drain drain(ApplicationAvailability availability) {
			return new Drain(Duration.ZERO, availability);
		}

		@Bean
		ErrorMetrics errorMetrics(MeterRegistry meters) {
			return new ErrorMetrics(meters);
		}

		@Bean
		SystemErrorMonitor systemErrorMonitor() {
			return new SystemErrorMonitor(1000, Duration.ofSeconds(60), System::nanoTime);
		}

	}

	@Test
	void predictsOverTensorFlowServingRest() {
		WebTestClient.ResponseSpec response = predict("{\"instances\": [\"a good film\", \"a dull film\"]}");
		response.expectHeader().valueEquals(ApiHeaders.MODEL_VERSION, "3");
		Map<String, Object> body = ApiTests.okJson(response);
		List<Map<String, Object>> predictions = rows(body.get("predictions"));
		assertThat(predictions).hasSize(2);
		assertThat(predictions.get(0)).containsEntry("label", "positive").containsKeys("score", "scores");
		assertThat(predictions.get(1)).containsEntry("label", "negative");
	}

	@Test
	void infersOverTheOpenInferenceProtocol() {
		Map<String, Object> body = ApiTests.okJson(this.client.post()
			.uri("/v2/models/stub/infer")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"id\":\"r1\",\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],"
					+ "\"data\":[\"a good film\"]}]}")
			.exchange());
		assertThat(body).containsEntry("model_name", "stub")
			.containsEntry("model_version", "3")
			.containsEntry("id", "r1");
		Map<String, Object> label = rows(body.get("outputs")).get(0);
		assertThat(label).containsEntry("name", "label").containsEntry("datatype", "BYTES");
		assertThat((List<Object>) label.get("data")).containsExactly("positive");
	}

	@Test
	void describesTheModel() {
		Map<String, Object> status = get("/v1/models/stub");
		assertThat(rows(status.get("model_version_status")).get(0)).containsEntry("version", "3")
			.containsEntry("state", "AVAILABLE");
		Map<String, Object> metadata = get("/v1/models/stub/metadata");
		assertThat((Map<String, Object>) metadata.get("model_spec")).containsEntry("name", "stub")
			.containsEntry("version", "3");
		assertThat(get("/v2/models/stub")).containsEntry("name", "stub")
			.containsEntry("platform", "tensorflow_savedmodel");
		assertThat(get("/v2/models/stub/ready")).containsEntry("ready", true);
		assertThat(get("/v2/health/live")).containsEntry("live", true);
	}

	@ParameterizedTest
	@EnumSource(Rule.class)
	void everyRuleIsAnsweredWithItsProblem(Rule rule) {
		WebTestClient.ResponseSpec response = predict("{\"instances\": [\"" + StubVersion.RAISE + rule.slug() + "\"]}");
		Map<String, Object> problem = ApiTests.problem(response, rule.status(), rule.slug(),
				rule.tier().name().toLowerCase());
		assertThat(problem).containsEntry("title", rule.title()).containsEntry("instance", "/v1/models/stub:predict");
		assertThat(problem.get("detail").toString()).doesNotContain("secret");
		if (rule.status() == 429 || rule.status() == 503) {
			response.expectHeader().exists(HttpHeaders.RETRY_AFTER);
		}
		if (rule == Rule.RATE_LIMIT) {
			response.expectHeader()
				.valueEquals(HttpHeaders.RETRY_AFTER, "2")
				.expectHeader()
				.valueEquals("RateLimit-Limit", "10")
				.expectHeader()
				.valueEquals("RateLimit-Policy", "10;w=1");
		}
		if (rule == Rule.OVERLOADED) {
			response.expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "2");
		}
		if (rule.status() == 401) {
			response.expectHeader().exists(HttpHeaders.WWW_AUTHENTICATE);
		}
	}

	/**
	 * A request is resolved once: the admission door's resolution is the one the
	 * controller runs on, so each request leases the version from the registry exactly
	 * once, whatever its protocol and route.
	 */
	@ParameterizedTest
	@CsvSource(delimiter = '|',
			value = { "/v1/models/stub:predict|{\"instances\": [\"a good film\", \"a dull one\"]}",
					"/v1/models/stub/versions/3:predict|{\"instances\": [\"a good film\"]}",
					"/v2/models/stub/infer|{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", "
							+ "\"shape\": [1], \"data\": [\"a good film\"]}]}",
					"/v1/models/stub:classify|{\"examples\": [{\"text\": \"a good film\"}]}",
					"/v1/models/stub:explain|{\"instances\": [\"a good film\"]}" })
	void eachRequestAsksTheRegistryOnce(String uri, String body) {
		StubVersion stub = (StubVersion) this.registry.serving("stub", null);
		int before = stub.acquisitions();
		int submitted = stub.submits();
		this.client.post()
			.uri(uri)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isOk();
		assertThat(stub.acquisitions() - before).as("leases of the version for one request").isEqualTo(1);
		assertThat(stub.inFlight()).as("all of them released").isZero();
		assertThat(stub.submits() - submitted).as("the request ran once").isLessThanOrEqualTo(1);
	}

	/**
	 * The admission door finds inference requests by the controllers' own routes, and a
	 * saturated queue refuses them there, before their body is read: even a malformed
	 * body is answered 503 with the queue's wait; a route that is no inference is never
	 * refused at the door.
	 */
	@Test
	void aSaturatedQueueRefusesInferenceRoutesAtTheDoor() {
		StubVersion stub = (StubVersion) this.registry.serving("stub", null);
		int submitted = stub.submits();
		stub.refuseAtTheDoor(true);
		try {
			for (String uri : List.of("/v1/models/stub:predict", "/v1/models/stub/versions/3:predict",
					"/v2/models/stub/infer", "/v2/models/stub/versions/3/infer")) {
				WebTestClient.ResponseSpec refused = this.client.post()
					.uri(uri)
					.contentType(MediaType.APPLICATION_JSON)
					.bodyValue("{not json")
					.exchange();
				ApiTests.problem(refused, 503, "overloaded", "capacity");
				refused.expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "2");
			}
			ApiTests.problem(this.client.post()
				.uri("/v1/models/stub:classify")
				.contentType(MediaType.APPLICATION_JSON)
				.bodyValue("{not json")
				.exchange(), 400, "malformed-json", "input");
			assertThat(stub.submits() - submitted).as("nothing refused at the door reached the queue").isZero();
		}
		finally {
			stub.refuseAtTheDoor(false);
		}
		assertThat(stub.inFlight()).as("the door's leases released").isZero();
	}

	@Test
	void theFrameworksOwnRefusalsAreProblemsOfTheCatalogueThatSayWhatWasWrong() {
		assertThat(ApiTests.problem(this.client.get().uri("/v1/nowhere").exchange(), 404, "not-found", "input"))
			.extractingByKey("detail")
			.asString()
			.contains("GET /v1/nowhere", "/v3/api-docs");
		WebTestClient.ResponseSpec deleted = this.client.delete().uri("/v1/models/stub:predict").exchange();
		assertThat(ApiTests.problem(deleted, 405, "method-not-allowed", "input")).extractingByKey("detail")
			.asString()
			.contains("DELETE /v1/models/stub:predict", "POST", "not DELETE");
		// A GET on a verb route names the method as the fault, not the model.
		WebTestClient.ResponseSpec verbByGet = this.client.get().uri("/v1/models/stub:predict").exchange();
		ApiTests.problem(verbByGet, 405, "method-not-allowed", "input");
		verbByGet.expectHeader().valueEquals(HttpHeaders.ALLOW, "POST");
		assertThat(ApiTests.problem(this.client.get().uri("/v1/models").accept(MediaType.IMAGE_PNG).exchange(), 406,
				"not-acceptable", "input"))
			.extractingByKey("detail")
			.asString()
			.contains("application/json", "image/png");
		ApiTests.problem(this.client.post()
			.uri("/v1/models/stub:predict")
			.contentType(MediaType.TEXT_PLAIN)
			.bodyValue("a good film")
			.exchange(), 415, "unsupported-media-type", "input");
		assertThat(ApiTests.problem(this.client.post()
			.uri("/v1/models/stub/versions/x:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"instances\": [\"a good film\"]}")
			.exchange(), 400, "invalid-version", "input")).extractingByKey("detail")
			.asString()
			.contains("'x' is not a model version");
		ApiTests.problem(this.client.get().uri("/v2/models/stub/versions/abc/ready").exchange(), 400, "invalid-version",
				"input");
	}

	/**
	 * A client whose Accept header allows nothing JSON still gets its problem as
	 * problem+json, the only form errors take, not whatever else it listed.
	 */
	@Test
	void aProblemIsProblemJsonWhateverTheClientAccepts() {
		String accept = "image/png, text/*;q=0";
		ApiTests.problem(this.client.get().uri("/v1/nowhere").header(HttpHeaders.ACCEPT, accept).exchange(), 404,
				"not-found", "input");
		ApiTests.problem(
				this.client.delete().uri("/v1/models/stub:predict").header(HttpHeaders.ACCEPT, accept).exchange(), 405,
				"method-not-allowed", "input");
		ApiTests.problem(this.client.post()
			.uri("/v1/models/stub:predict")
			.header(HttpHeaders.ACCEPT, accept)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"instances\": []}")
			.exchange(), 400, "empty-instances", "input");
	}

	@Test
	void aDuplicatedMemberIsNamed() {
		assertThat(ApiTests.problem(predict("{\"instances\": [\"a\"], \"instances\": [\"b\"]}"), 400, "duplicate-key",
				"input"))
			.extractingByKey("detail")
			.asString()
			.contains("'instances' twice");
	}

	@Test
	void inputIsRefusedByTheRuleItBreaks() {
		ApiTests.problem(predict("{\"instances\": [\"a good film\""), 400, "malformed-json", "input");
		ApiTests.problem(predict("[1, 2]"), 400, "request-shape", "input");
		ApiTests.problem(predict("{\"instances\": []}"), 400, "empty-instances", "input");
		ApiTests.problem(predict("{\"instances\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}"), 400, "instances", "input");
		ApiTests.problem(predict("{\"instances\": [\"<b>good</b>\"]}"), 422, "denied-pattern", "input");
		ApiTests.problem(predict("{\"instances\": [\"12345\"]}"), 422, "no-letters", "input");
		ApiTests.problem(predict("{\"instances\": [\"" + "good ".repeat(20_000) + "\"]}"), 413, "body-size", "input");
		ApiTests.problem(this.client.post()
			.uri("/v1/models/nothing:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"instances\": [\"a good film\"]}")
			.exchange(), 404, "unknown-model", "input");
		ApiTests.problem(this.client.post()
			.uri("/v1/models/stub:predict")
			.header("Eino-Timeout-Ms", "-5")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"instances\": [\"a good film\"]}")
			.exchange(), 400, "invalid-header", "input");
	}

	private WebTestClient.ResponseSpec predict(String body) {
		return this.client.post()
			.uri("/v1/models/stub:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange();
	}

	private Map<String, Object> get(String uri) {
		return ApiTests.okJson(this.client.get().uri(uri).exchange());
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> rows(Object value) {
		return (List<Map<String, Object>>) value;
	}

}
