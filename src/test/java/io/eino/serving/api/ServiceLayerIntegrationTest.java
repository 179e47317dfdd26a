package io.eino.serving.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Rule;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.loading.ModelVersion;
import io.eino.serving.operator.OperatorDefinition;
import io.eino.serving.operator.Scores;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.sentiment.SentimentHeadTrainer;
import io.eino.serving.text.Overflow;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service layer over HTTP with the real model, configured only through properties and
 * {@code model.yaml}: per-client rate limits, the audit and PII-masking plugins, a
 * {@code model.yaml} pipeline with a built-in and a user-registered operator, every rule
 * in the metrics, and the circuit breaker degrading from a version whose runner fails to
 * the previous version, then to the configured fallback answer.
 *
 * <p>
 * Model {@code guarded} has versions 1 and 2 (both the default model's SavedModel); the
 * tests run in order because the last one breaks version 2.
 */
@Tag(TestTags.TENSORFLOW)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "PT60S")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(OutputCaptureExtension.class)
class ServiceLayerIntegrationTest {

	private static final String PREDICT = "/v1/models/guarded:predict";

	@Autowired
	private WebTestClient client;

	@Autowired
	private ModelRegistry registry;

	@Autowired
	private org.springframework.context.ApplicationContext context;

	@Autowired
	private CircuitBreakerRegistry breakers;

	@Autowired
	private ErrorMetrics errors;

	@Autowired
	private MeterRegistry meters;

	@LocalManagementPort
	private int managementPort;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws IOException {
		Path repository = TestModels.repository();
		addGuardedModel(repository);
		registry.add("eino.repository.path", repository::toString);
		// Validation, plugins, quotas, breakers and degradation are what this test
		// checks.
		TestModels.smallBuilds(registry, "guarded");
		registry.add("eino.models.sentiment.enabled", () -> "false");
		registry.add("eino.models.guarded.enabled", () -> "true");
		registry.add("eino.models.guarded.version-policy.count", () -> "2");
		registry.add("eino.models.guarded.fallback.label", () -> "unknown");
		registry.add("eino.models.guarded.fallback.score", () -> "0");
		registry.add("eino.plugins.audit.enabled", () -> "true");
		// This context serves REST only: the gRPC server is off by property.
		registry.add("eino.grpc.enabled", () -> "false");
		registry.add("eino.plugins.audit.include-text", () -> "true");
		registry.add("eino.plugins.pii-masking.enabled", () -> "true");
		// Each client is its own API key (its secret is its name), so each has its own
		// quota.
		List<String> keys = new java.util.ArrayList<>(
				List.of("alice", "bob", "carol", "breaker-pinned", "breaker-last"));
		for (int i = 0; i < 6; i++) {
			keys.add("breaker-" + i);
		}
		for (String key : keys) {
			registry.add("eino.security.api-keys." + key + ".secret-sha256", () -> TestModels.sha256(key));
		}
		registry.add("resilience4j.ratelimiter.instances.guarded.limit-for-period", () -> "3");
		registry.add("resilience4j.ratelimiter.instances.guarded.limit-refresh-period", () -> "1h");
		registry.add("resilience4j.circuitbreaker.instances.guarded.sliding-window-size", () -> "3");
		registry.add("resilience4j.circuitbreaker.instances.guarded.minimum-number-of-calls", () -> "3");
		// Open only when the whole window failed: the earlier tests' calls succeeded.
		registry.add("resilience4j.circuitbreaker.instances.guarded.failure-rate-threshold", () -> "100");
		registry.add("resilience4j.circuitbreaker.instances.guarded.wait-duration-in-open-state", () -> "1h");
		registry.add(
				"resilience4j.circuitbreaker.instances.guarded.automatic-transition-from-open-to-half-open-enabled",
				() -> "false");
	}

	/** The user's own operator, registered as a bean and named in {@code model.yaml}. */
	@TestConfiguration(proxyBeanMethods = false)
	static class CustomOperators {

		@Bean
		OperatorDefinition customRelu() {
			return OperatorDefinition.postprocess("custom_relu", (args) -> (scores) -> {
				float[] values = scores.values().clone();
				for (int i = 0; i < values.length; i++) {
					values[i] = Math.max(0f, values[i]);
				}
				return new Scores(values, scores.labels());
			});
		}

	}

	/**
	 * Versions 1 and 2 hard-linked to the default model, with a pipeline in model.yaml.
	 */
	private static void addGuardedModel(Path repository) throws IOException {
		Path source = repository.resolve("sentiment/" + DefaultModel.VERSION);
		TestModels.linkVersion(source, repository.resolve("guarded/1"));
		TestModels.linkVersion(source, repository.resolve("guarded/2"));
		new ModelDescriptor(ModelDescriptor.Task.CLASSIFICATION, "serving_default", "tokenizer.json", 256,
				Overflow.TRUNCATE, SentimentHeadTrainer.LABELS, "probabilities", null, List.of(),
				io.eino.serving.operator.OperatorSpec
					.parse(List.of("custom_relu", Map.of("name", "labels", "names", List.of("bad", "good")))))
			.write(repository.resolve("guarded").resolve(ModelDescriptor.FILE_NAME));
	}

	@Test
	@Order(0)
	void theGrpcServerIsOffByProperty() {
		assertThat(this.context.getEnvironment().getProperty("local.grpc.port")).isNull();
		assertThat(this.context.getBeanNamesForType(io.grpc.BindableService.class)).isEmpty();
	}

	@Test
	@Order(1)
	void aClientOverItsRateLimitGets429WhileOthersAreServed() {
		for (int i = 0; i < 3; i++) {
			predict("alice", "A fine film").expectStatus().isOk();
		}
		WebTestClient.ResponseSpec limited = predict("alice", "A fine film").expectHeader()
			.valueMatches("Retry-After", "[1-9][0-9]*")
			.expectHeader()
			.valueEquals("RateLimit-Limit", "3")
			.expectHeader()
			.valueEquals("RateLimit-Remaining", "0")
			.expectHeader()
			.valueMatches("RateLimit-Reset", "[1-9][0-9]*");
		ApiTests.problem(limited, 429, "rate-limit", "capacity");
		predict("bob", "A fine film").expectStatus().isOk();
		assertThat(this.errors.count(Rule.RATE_LIMIT)).isGreaterThanOrEqualTo(1);
	}

	@Test
	@Order(2)
	void pluginsAndOperatorsRunFromConfiguration(CapturedOutput output) {
		Map<String, Object> prediction = predict("carol", "Loved it! Tell jane.doe@example.com to see it")
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals(ApiHeaders.MODEL_VERSION, "2")
			.expectBody(new ParameterizedTypeReference<Map<String, List<Map<String, Object>>>>() {
			})
			.returnResult()
			.getResponseBody()
			.get("predictions")
			.get(0);
		// The labels operator renamed the classes; custom_relu kept the probabilities.
		assertThat(prediction).containsEntry("label", "good");
		assertThat((Map<String, Object>) prediction.get("scores")).containsOnlyKeys("bad", "good");
		predict("carol", "<b>bold</b>").expectStatus().isEqualTo(422);
		List<String> audit = output.getAll()
			.lines()
			.filter((line) -> line.contains("eino.audit") && line.contains("\"model\":\"guarded\""))
			.toList();
		assertThat(audit).anySatisfy((line) -> assertThat(line).contains("\"outcome\":\"ok\"")
			.contains("\"version\":2")
			.contains("\"client\":\"key:")
			.contains("Tell [email] to see it")
			.doesNotContain("jane.doe@example.com"));
		assertThat(audit).anySatisfy(
				(line) -> assertThat(line).contains("\"outcome\":\"denied-pattern\"").contains("\"tier\":\"input\""));
	}

	@Test
	@Order(3)
	void everyRuleIsVisibleInTheMetrics() {
		Map<String, Object> errors = management("/actuator/metrics/eino.errors");
		List<Map<String, Object>> tags = (List<Map<String, Object>>) errors.get("availableTags");
		List<String> rules = tags.stream()
			.filter((tag) -> "rule".equals(tag.get("tag")))
			.flatMap((tag) -> ((List<String>) tag.get("values")).stream())
			.toList();
		// The running service counts exactly the catalogue, and counts what fired: the
		// denied pattern of the audit test above, nothing for a rule no test provoked.
		assertThat(rules).containsExactlyInAnyOrderElementsOf(Arrays.stream(Rule.values()).map(Rule::slug).toList());
		assertThat(count(management("/actuator/metrics/eino.errors?tag=rule:denied-pattern")))
			.isGreaterThanOrEqualTo(1);
		assertThat(count(management("/actuator/metrics/eino.errors?tag=rule:queue-closed"))).isZero();
		Map<String, Object> predicted = management("/actuator/metrics/eino.queue.predicted.wait?tag=model:guarded");
		assertThat((List<Map<String, Object>>) predicted.get("measurements")).isNotEmpty();
	}

	private static double count(Map<String, Object> metric) {
		return ((List<Map<String, Object>>) metric.get("measurements")).stream()
			.filter((measurement) -> "COUNT".equals(measurement.get("statistic")))
			.mapToDouble((measurement) -> ((Number) measurement.get("value")).doubleValue())
			.sum();
	}

	private Map<String, Object> management(String uri) {
		return ApiTests.management(this.managementPort, uri);
	}

	@Test
	@Order(4)
	void aFailingVersionDegradesToThePreviousOneThenToTheFallbackAnswer() {
		// Break version 2's runner: its TensorFlow sessions are closed under it.
		((ModelVersion) this.registry.serving("guarded", 2L)).runners().sessions().forEach(SavedModelRunner::close);
		for (int i = 0; i < 3; i++) {
			predict("breaker-" + i, "A wonderful film").expectStatus()
				.isOk()
				.expectHeader()
				.valueEquals(ApiHeaders.MODEL_VERSION, "1")
				.expectHeader()
				.valueEquals(ApiHeaders.DEGRADED, "previous-version");
		}
		assertThat(failures()).isEqualTo(3);
		assertThat(this.breakers.circuitBreaker("guarded@2").getState()).isEqualTo(CircuitBreaker.State.OPEN);
		// Open: version 2 is not tried any more.
		for (int i = 3; i < 6; i++) {
			predict("breaker-" + i, "A wonderful film").expectStatus()
				.isOk()
				.expectHeader()
				.valueEquals(ApiHeaders.MODEL_VERSION, "1");
		}
		assertThat(failures()).isEqualTo(3);
		// A request pinned to the failing version is not degraded: 503, model tier.
		ApiTests.problem(this.client.post()
			.uri("/v1/models/guarded/versions/2:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.header(ApiHeaders.API_KEY, "breaker-pinned")
			.bodyValue(Map.of("instances", List.of("A wonderful film")))
			.exchange(), 503, "model-unavailable", "model");
		// Without version 1, the configured fallback answers.
		this.registry.unload("guarded", 1);
		Map<String, Object> fallback = predict("breaker-last", "A wonderful film").expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals(ApiHeaders.DEGRADED, "fallback-answer")
			.expectBody(new ParameterizedTypeReference<Map<String, List<Map<String, Object>>>>() {
			})
			.returnResult()
			.getResponseBody()
			.get("predictions")
			.get(0);
		assertThat(fallback).containsEntry("label", "unknown");
	}

	private double failures() {
		return this.meters.counter("eino.model.failures", "model", "guarded", "rule", "model-execution").count();
	}

	private WebTestClient.ResponseSpec predict(String apiKey, String text) {
		return this.client.post()
			.uri(PREDICT)
			.contentType(MediaType.APPLICATION_JSON)
			.header(ApiHeaders.API_KEY, apiKey)
			.bodyValue(Map.of("instances", List.of(text)))
			.exchange();
	}

}
