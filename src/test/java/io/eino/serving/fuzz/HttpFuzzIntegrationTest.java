package io.eino.serving.fuzz;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.eino.serving.LogLines;
import io.eino.serving.api.DefaultServingContext;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded, bounded fuzzing of both HTTP ports with mutated requests ({@link HttpCases}):
 * every case is answered (no connection closed without a response), never with a 5xx,
 * every error as a problem (JSON naming its rule), nothing is logged at ERROR or with a
 * stack trace, and a normal prediction is served after every batch of cases.
 *
 * <p>
 * {@code -Deino.fuzz.cases=N} (default 300 per port) and {@code -Deino.fuzz.seed=S}
 * (default fixed, so that a failure reproduces) make the longer run of docs/testing.md.
 */
@ExtendWith(OutputCaptureExtension.class)
class HttpFuzzIntegrationTest extends DefaultServingContext {

	static final long SEED = Long.getLong("eino.fuzz.seed", 20261207L);

	static final int CASES = Integer.getInteger("eino.fuzz.cases", 300);

	private static final int BATCH = 50;

	/** Long enough for any answer on a busy 2-core machine; every case is complete. */
	private static final Duration ANSWER_WITHIN = Duration.ofSeconds(20);

	private static final String BYTES_INPUT = "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],"
			+ "\"data\":[\"A fine film\"]}]}";

	private static final List<String[]> PUBLIC = List.of(
			new String[] { "POST", "/v1/models/sentiment:predict", "application/json",
					"{\"instances\": [\"A fine film\"]}" },
			new String[] { "POST", "/v1/models/sentiment/versions/" + V + ":predict", "application/json",
					"{\"inputs\": {\"text\": [\"A fine film\"]}}" },
			new String[] { "POST", "/v2/models/sentiment/infer", "application/json", BYTES_INPUT },
			new String[] { "POST",
					"/v2/models/" + DefaultServingContext.EMBEDDINGS + "/versions/" + DefaultServingContext.EMBEDDINGS_V
							+ "/infer",
					"application/json", BYTES_INPUT },
			new String[] { "GET", "/v1/models/sentiment", null, null },
			new String[] { "GET", "/v1/models/sentiment/metadata", null, null },
			new String[] { "GET", "/v2/models/sentiment", null, null },
			new String[] { "GET", "/v2/health/ready", null, null });

	private static final List<String[]> MANAGEMENT = List.of(new String[] { "GET", "/actuator/health", null, null },
			new String[] { "GET", "/actuator/health/readiness", null, null },
			new String[] { "GET", "/actuator/prometheus", null, null }, new String[] { "POST",
					"/actuator/loggers/io.eino", "application/json", "{\"configuredLevel\": \"DEBUG\"}" });

	@Value("${local.server.port}")
	private int port;

	@Value("${local.management.port}")
	private int managementPort;

	@ParameterizedTest
	@ValueSource(strings = { "public", "management" })
	void mutatedRequestsAreAnsweredWithProblemsAndNoErrors(String which, CapturedOutput output) throws Exception {
		int target = which.equals("public") ? this.port : this.managementPort;
		List<String[]> seeds = which.equals("public") ? PUBLIC : MANAGEMENT;
		HttpCases cases = new HttpCases(SEED + target % 2 + (which.equals("public") ? 0 : 1));
		int logged = output.getAll().length();
		List<String> failures = new ArrayList<>();
		Map<String, Integer> statuses = new TreeMap<>();
		ExecutorService pool = Executors.newFixedThreadPool(16);
		try {
			for (int done = 0; done < CASES; done += BATCH) {
				List<HttpCases.Case> batch = new ArrayList<>();
				for (int i = 0; i < Math.min(BATCH, CASES - done); i++) {
					batch.add(cases.next(seeds));
				}
				List<Future<RawExchange.Answer>> answers = new ArrayList<>();
				for (HttpCases.Case next : batch) {
					answers
						.add(pool.submit(() -> RawExchange.exchange(target, next.bytes(), next.head(), ANSWER_WITHIN)));
				}
				for (int i = 0; i < batch.size(); i++) {
					RawExchange.Answer answer = answers.get(i).get();
					statuses.merge(answer.status() + " " + answer.contentType(), 1, Integer::sum);
					String problem = problem(answer, batch.get(i).head());
					if (problem != null) {
						failures.add(problem + ": " + batch.get(i).name());
					}
				}
				assertThat(normalRequest(which)).as("served after a batch of cases").startsWith("HTTP/1.1 200");
			}
		}
		finally {
			pool.shutdownNow();
		}
		System.out
			.println("Fuzzed the " + which + " port: " + CASES + " cases, seed " + SEED + ", answers " + statuses);
		assertThat(failures).isEmpty();
		String log = output.getAll().substring(logged);
		LogLines.assertNoErrorOrStackTrace(log);
	}

	/** What is wrong with an answer, or null. */
	private static String problem(RawExchange.Answer answer, boolean head) {
		if (!answer.answered()) {
			return "no answer (" + answer.ending() + ")";
		}
		if (answer.status() >= 500) {
			return answer.status() + " " + answer.body();
		}
		if (answer.status() >= 400 && !head && !(answer.contentType().contains("json")
				&& answer.body().contains("\"status\":" + answer.status()))) {
			return answer.status() + " without a problem: " + answer.contentType() + " " + answer.body();
		}
		return null;
	}

	private String normalRequest(String which) throws Exception {
		String body = "{\"instances\": [\"A fine film\"]}";
		String request = which.equals("public")
				? "POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
						+ "application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
				: "GET /actuator/health/liveness HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
		int target = which.equals("public") ? this.port : this.managementPort;
		RawExchange.Answer answer = RawExchange.exchange(target, request.getBytes(), false, ANSWER_WITHIN);
		return answer.head();
	}

}
