package io.eino.serving.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dynamic batching over HTTP with the real model: concurrent requests share session runs
 * and each gets its own answer; a full queue and a passed deadline are refused with 503
 * and Retry-After, and the service goes on serving.
 */
@Tag(TestTags.TENSORFLOW)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "PT60S")
class BatchingIntegrationTest {

	private static final int QUEUE_CAPACITY = 64;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@Autowired
	private WebTestClient client;

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("eino.repository.path", () -> TestModels.repository().toString());
		registry.add("eino.batching.queue-capacity", () -> Integer.toString(QUEUE_CAPACITY));
		// The batching, not the startup step's choice of graph, is what this test checks:
		// the graph as imported, without the step's timings.
		registry.add("eino.runtime.precision", () -> "fp32");
		registry.add("eino.runtime.graph-optimization", () -> "none");
		// Past the input limits, so that these requests reach the queue.
		registry.add("eino.validation.max-instances", () -> Integer.toString(QUEUE_CAPACITY + 1));
		registry.add("eino.validation.max-characters", () -> "4096");
	}

	@Test
	void concurrentRequestsShareBatchesAndEachGetsItsOwnResult() {
		List<String> texts = TestModels.evaluationSet().stream().map(TestModels.LabelledText::text).limit(48).toList();
		List<Map<String, Object>> alone = new ArrayList<>();
		for (String text : texts) {
			alone.add(prediction(text).block(Duration.ofSeconds(30)));
		}
		double[] before = batchSizeCountAndTotal();
		List<Map<String, Object>> together = Flux.range(0, texts.size())
			.flatMapSequential((index) -> prediction(texts.get(index)), texts.size())
			.collectList()
			.block(Duration.ofSeconds(60));
		double[] after = batchSizeCountAndTotal();
		double batches = after[0] - before[0];
		double rows = after[1] - before[1];
		assertThat(rows).isEqualTo(texts.size());
		assertThat(rows / batches).as("mean batch size of the concurrent burst").isGreaterThan(1.0);
		for (int i = 0; i < texts.size(); i++) {
			assertThat(together.get(i).get("label")).as(texts.get(i)).isEqualTo(alone.get(i).get("label"));
			assertThat(((Number) together.get(i).get("score")).doubleValue()).as(texts.get(i))
				.isCloseTo(((Number) alone.get(i).get("score")).doubleValue(),
						org.assertj.core.api.Assertions.within(1e-3));
		}
	}

	@Test
	void aRequestThatDoesNotFitTheQueueIsRefusedAtOnceAndNothingOfItRuns() throws Exception {
		String body = JSON.writeValueAsString(Map.of("instances", Collections.nCopies(QUEUE_CAPACITY + 1, "fine")));
		capacityProblem(post(body, null), "queue-full");
		assertThat(prediction("still serving").block(Duration.ofSeconds(30))).containsKey("label");
	}

	/**
	 * A request whose deadline comes before its predicted start is refused at admission
	 * (the queue's own drop of work whose deadline passes while it waits is tested on a
	 * fake clock in BatchSchedulerTest).
	 */
	@Test
	void aRequestThatCannotStartBeforeItsDeadlineIsRefusedAtOnceWith503() throws Exception {
		String longText = "the plot wanders and the acting is wooden ".repeat(40);
		String busy = JSON.writeValueAsString(Map.of("instances", Collections.nCopies(32, longText)));
		Mono<String> occupying = WebClient.create("http://localhost:" + this.port)
			.post()
			.uri("/v1/models/sentiment:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(busy)
			.retrieve()
			.bodyToMono(String.class)
			.cache();
		occupying.subscribe();
		Thread.sleep(200);
		// Retry-After is computed from the predicted wait, not a constant.
		Map<String, Object> problem = ApiTests
			.problem(post(JSON.writeValueAsString(Map.of("instances", List.of("in a hurry"))), "1").expectHeader()
				.valueMatches(HttpHeaders.RETRY_AFTER, "[1-9][0-9]*"), 503, "overloaded", "capacity");
		assertThat((String) problem.get("detail")).contains("would wait about");
		assertThat(occupying.block(Duration.ofSeconds(60))).contains("predictions");
		assertThat(prediction("patient").block(Duration.ofSeconds(30))).containsKey("label");
	}

	private Mono<Map<String, Object>> prediction(String text) {
		return WebClient.create("http://localhost:" + this.port)
			.post()
			.uri("/v1/models/sentiment:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(Map.of("instances", List.of(text)))
			.retrieve()
			.bodyToMono(new ParameterizedTypeReference<Map<String, List<Map<String, Object>>>>() {
			})
			.map((response) -> response.get("predictions").get(0));
	}

	private WebTestClient.ResponseSpec post(String body, String timeoutMillis) {
		return this.client.post()
			.uri("/v1/models/sentiment:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.headers((headers) -> {
				if (timeoutMillis != null) {
					headers.set(ApiHeaders.TIMEOUT_MILLIS, timeoutMillis);
				}
			})
			.bodyValue(body)
			.exchange();
	}

	private static void capacityProblem(WebTestClient.ResponseSpec response, String rule) {
		ApiTests.problem(response.expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "1"), 503, rule, "capacity");
	}

	/** COUNT and TOTAL of eino.batch.size for the sentiment model, from Actuator. */
	private double[] batchSizeCountAndTotal() {
		Map<String, Object> metric = ApiTests.management(this.managementPort,
				"/actuator/metrics/eino.batch.size?tag=model:sentiment");
		double count = 0;
		double total = 0;
		for (Object measurement : (List<?>) metric.get("measurements")) {
			Map<?, ?> values = (Map<?, ?>) measurement;
			double value = ((Number) values.get("value")).doubleValue();
			if ("COUNT".equals(values.get("statistic"))) {
				count = value;
			}
			else if ("TOTAL".equals(values.get("statistic"))) {
				total = value;
			}
		}
		return new double[] { count, total };
	}

}
