package io.eino.serving.operations;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.eino.serving.TestTags;
import io.eino.serving.api.ApiTests;
import io.eino.serving.TestModels;
import io.eino.serving.sentiment.DefaultModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operations files checked by the real tools (docs/operations.md): {@code promtool}
 * checks and unit-tests the alert rules; a real Prometheus server (Debian's package,
 * started here on loopback with a temporary configuration and data directory) scrapes the
 * running service under a little load (answers, input errors, a version that failed to
 * load), and every expression of the alert rules and of the Grafana dashboard must return
 * data through its HTTP API, so that none refers to a series that does not exist. The
 * series scraped must be exactly those documented. Figures go to
 * {@code target/operations-report.md}.
 */
@Tag(TestTags.TENSORFLOW)
// Every request sampled, so that the scrape carries exemplars (trace ids), as a traced
// production service's does: an exemplar where Prometheus 2.42 takes none drops the
// scrape.
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "management.tracing.sampling.probability=1.0")
@AutoConfigureMetrics
class OperationsIntegrationTest {

	static final Path RULES = Path.of("helm/eino-serving/files/prometheus/rules.yaml").toAbsolutePath();

	static final Path RULE_TESTS = Path.of("src/test/prometheus/rules.test.yaml").toAbsolutePath();

	static final Path DASHBOARD = Path.of("helm/eino-serving/files/grafana/eino-serving.json").toAbsolutePath();

	static final Path REPORT = Path.of("target", "operations-report.md");

	private static final Path REPOSITORY = Path.of("target", "operations-repository").toAbsolutePath();

	private static final Path WORK = Path.of("target", "operations-prometheus").toAbsolutePath();

	/** Series that appear only at their first event (documented as such). */
	private static final Set<String> ON_FIRST_EVENT = Set.of("eino_model_failures_total", "eino_degraded_total");

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static Process prometheus;

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws IOException {
		Path source = TestModels.repository().resolve(DefaultModel.NAME);
		TestModels.emptyRepository(REPOSITORY, "ops");
		TestModels.linkVersion(source.resolve(Long.toString(DefaultModel.VERSION)), REPOSITORY.resolve("ops/1"));
		// Version 2 is ready to load but its graph is garbage: its build fails at 'load'.
		TestModels.linkVersion(source.resolve(Long.toString(DefaultModel.VERSION)), REPOSITORY.resolve("ops/2"));
		Files.delete(REPOSITORY.resolve("ops/2/saved_model.pb"));
		Files.writeString(REPOSITORY.resolve("ops/2/saved_model.pb"), "not a graph");
		registry.add("eino.repository.path", REPOSITORY::toString);
		registry.add("eino.repository.install-default-model", () -> "false");
		TestModels.smallBuilds(registry, "ops");
		registry.add("eino.models.sentiment.enabled", () -> "false");
		registry.add("eino.models.ops.enabled", () -> "true");
		registry.add("eino.models.ops.version-policy.kind", () -> "all");
	}

	@AfterAll
	static void stopPrometheus() {
		if (prometheus != null) {
			prometheus.destroy();
		}
	}

	@Test
	void promtoolChecksTheRulesAndTheirUnitTestsPass() throws IOException {
		String check = PrometheusTools.check(PrometheusTools.promtool(), "check", "rules", RULES.toString());
		assertThat(check).contains("SUCCESS");
		String test = PrometheusTools.check(PrometheusTools.promtool(), "test", "rules", RULE_TESTS.toString());
		assertThat(test).contains("SUCCESS").doesNotContain("FAILED");
		append("## promtool\n\n```\n$ promtool check rules " + Path.of("").toAbsolutePath().relativize(RULES) + "\n"
				+ check.strip() + "\n$ promtool test rules " + Path.of("").toAbsolutePath().relativize(RULE_TESTS)
				+ "\n" + test.strip() + "\n```\n\n");
	}

	@Test
	void aRealPrometheusFindsDataForEveryRuleAndPanelAndTheSeriesAreDocumented() throws Exception {
		int prometheusPort = freePort();
		startPrometheus(prometheusPort);
		long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
		// A little traffic: answers, input errors, a model that is not served, a request
		// pinned to the version that failed.
		int sent = 0;
		while (System.nanoTime() < deadline) {
			for (int i = 0; i < 10; i++) {
				assertThat(predict("/v1/models/ops:predict", "A wonderful, moving film.")).isEqualTo(200);
				sent++;
			}
			assertThat(predict("/v1/models/ops:predict", "<script>")).isEqualTo(422);
			assertThat(predict("/v1/models/nowhere:predict", "A film")).isEqualTo(404);
			assertThat(predict("/v1/models/ops/versions/2:predict", "A film")).isGreaterThanOrEqualTo(400);
			sent += 3;
			if (sent > 100 && !query(prometheusPort, "eino:requests:rate5m").isEmpty()) {
				break;
			}
			Thread.sleep(200);
		}
		Map<String, List<String>> expressions = new LinkedHashMap<>();
		expressions.putAll(ruleExpressions());
		expressions.putAll(dashboardExpressions());
		Map<String, Integer> results = new LinkedHashMap<>();
		List<String> empty = new ArrayList<>();
		int evaluated = 0;
		for (Map.Entry<String, List<String>> entry : expressions.entrySet()) {
			for (String signal : entry.getValue()) {
				List<JsonNode> data = query(prometheusPort, signal);
				evaluated++;
				results.put(entry.getKey() + ": " + signal, data.size());
				if (data.isEmpty()) {
					empty.add(entry.getKey() + ": " + signal);
				}
			}
		}
		assertThat(empty)
			.as("expressions that returned no data; the scrape target: %s",
					HTTP.send(
							HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + "/api/v1/targets"))
								.build(),
							HttpResponse.BodyHandlers.ofString())
						.body())
			.isEmpty();

		Set<String> scraped = scrapedFamilies();
		Set<String> documented = MetricsDocs.families();
		assertThat(documented).as("series documented in docs/operations.md but not scraped").containsAll(scraped);
		Set<String> missing = new TreeSet<>(documented);
		missing.removeAll(scraped);
		assertThat(missing).as("documented series the service does not export").isSubsetOf(ON_FIRST_EVENT);

		StringBuilder report = new StringBuilder("## Real Prometheus\n\n");
		report.append(String.format(
				"%d expressions (%d rules and dashboard targets) evaluated through Prometheus' "
						+ "HTTP API after %d requests; all returned data.%n%n| expression | series |%n|---|---|%n",
				evaluated, expressions.size(), sent));
		results.forEach((expression, count) -> report
			.append("| `" + expression.replaceAll("\\s+", " ").replace("|", "\\|") + "` | " + count + " |\n"));
		report.append("\nSeries families scraped: ").append(scraped).append("\n\n");
		append(report.toString());
	}

	/**
	 * Live profiling: a CPU flame graph of the process under load, while a second request
	 * for one is refused with 409; and the same recording as collapsed stacks, whose
	 * heaviest frames go to the report.
	 */
	@Test
	void theManagementPortRecordsAFlameGraphUnderLoad() throws Exception {
		java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean(true);
		Thread load = new Thread(() -> {
			while (loading.get()) {
				try {
					predict("/v1/models/ops:predict", "A wonderful, moving film.");
				}
				catch (IOException | InterruptedException ex) {
					return;
				}
			}
		});
		load.start();
		try {
			java.util.concurrent.CompletableFuture<HttpResponse<String>> graph = HTTP
				.sendAsync(HttpRequest.newBuilder(URI.create(management("/actuator/profile?mode=cpu&seconds=3")))
					.header("Authorization", ApiTests.managementAuthorization())
					.timeout(Duration.ofSeconds(60))
					.build(), HttpResponse.BodyHandlers.ofString());
			Thread.sleep(1000);
			HttpResponse<String> busy = HTTP
				.send(HttpRequest.newBuilder(URI.create(management("/actuator/profile?seconds=1")))
					.header("Authorization", ApiTests.managementAuthorization())
					.build(), HttpResponse.BodyHandlers.ofString());
			assertThat(busy.statusCode()).isEqualTo(409);
			assertThat(busy.headers().firstValue("Content-Type")).hasValue("application/problem+json");
			assertThat(busy.body()).contains("\"type\":\"urn:eino:problem:in-progress\"");
			HttpResponse<String> badMode = HTTP
				.send(HttpRequest.newBuilder(URI.create(management("/actuator/profile?mode=foo")))
					.header("Authorization", ApiTests.managementAuthorization())
					.build(), HttpResponse.BodyHandlers.ofString());
			assertThat(badMode.statusCode()).isEqualTo(400);
			assertThat(badMode.headers().firstValue("Content-Type")).hasValue("application/problem+json");
			assertThat(badMode.body()).contains("\"type\":\"urn:eino:problem:invalid-parameter\"",
					"mode is cpu, alloc or wall");
			HttpResponse<String> html = graph.get(60, java.util.concurrent.TimeUnit.SECONDS);
			assertThat(html.statusCode()).isEqualTo(200);
			assertThat(html.headers().firstValue("Content-Type"))
				.hasValueSatisfying((type) -> assertThat(type).startsWith("text/html"));
			assertThat(html.body()).contains("<canvas", "const cpool", "eino/serving/");

			HttpResponse<String> stacks = HTTP.send(HttpRequest
				.newBuilder(URI.create(management("/actuator/profile?mode=wall&seconds=3&format=collapsed")))
				.header("Authorization", ApiTests.managementAuthorization())
				.timeout(Duration.ofSeconds(60))
				.build(), HttpResponse.BodyHandlers.ofString());
			assertThat(stacks.statusCode()).isEqualTo(200);
			Map<String, Long> frames = new java.util.TreeMap<>();
			for (String line : stacks.body().split("\n")) {
				int space = line.lastIndexOf(' ');
				if (space > 0) {
					long samples = Long.parseLong(line.substring(space + 1));
					for (String frame : new java.util.LinkedHashSet<>(List.of(line.substring(0, space).split(";")))) {
						if (frame.startsWith("io/eino/serving") || frame.contains("tensorflow")) {
							frames.merge(frame, samples, Long::sum);
						}
					}
				}
			}
			// The runners under load: the service's own frames, not only this test's
			// client.
			assertThat(frames.keySet()).as("frames of the service in the wall-clock profile")
				.anyMatch((frame) -> frame.startsWith("io/eino/serving/runtime/"));
			StringBuilder report = new StringBuilder(String.format(
					"## Flame graph under load%n%nGET /actuator/profile?mode=cpu&seconds=3: 200 text/html, %d KiB "
							+ "(a second request meanwhile: %d). Wall-clock profile, 3 s, the service's and "
							+ "TensorFlow's frames by samples (inclusive):%n%n| frame | samples |%n|---|---|%n",
					html.body().length() >> 10, busy.statusCode()));
			frames.entrySet()
				.stream()
				.sorted(Map.Entry.<String, Long>comparingByValue().reversed())
				.limit(15)
				.forEach((entry) -> report.append("| `" + entry.getKey() + "` | " + entry.getValue() + " |\n"));
			append(report.append("\n").toString());
		}
		finally {
			loading.set(false);
			load.join(30_000);
		}
	}

	private String management(String path) {
		return "http://127.0.0.1:" + this.managementPort + path;
	}

	/** Heap profiling: a heap dump of the running process, in HPROF format. */
	@Test
	void theManagementPortServesAHeapDump() throws Exception {
		long started = System.nanoTime();
		HttpResponse<java.io.InputStream> response = HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.managementPort + "/actuator/heapdump"))
				.header("Authorization", ApiTests.managementAuthorization())
				.timeout(Duration.ofSeconds(120))
				.build(), HttpResponse.BodyHandlers.ofInputStream());
		assertThat(response.statusCode()).isEqualTo(200);
		long bytes;
		String header;
		try (java.io.InputStream body = response.body()) {
			header = new String(body.readNBytes(18), StandardCharsets.US_ASCII);
			bytes = 18 + body.transferTo(java.io.OutputStream.nullOutputStream());
		}
		assertThat(header).isEqualTo("JAVA PROFILE 1.0.2");
		append(String.format("## Heap dump%n%nGET /actuator/heapdump: 200, HPROF (`%s`), %d MiB in %d ms.%n%n", header,
				bytes >> 20, (System.nanoTime() - started) / 1_000_000));
	}

	private int predict(String path, String text) throws IOException, InterruptedException {
		return HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString("{\"instances\":[\"" + text + "\"]}"))
				.timeout(Duration.ofSeconds(30))
				.build(), HttpResponse.BodyHandlers.ofString())
			.statusCode();
	}

	private void startPrometheus(int port) throws Exception {
		TestModels.deleteRecursively(WORK);
		Files.createDirectories(WORK.resolve("data"));
		Path config = WORK.resolve("prometheus.yml");
		Files.writeString(config, """
				global:
				  scrape_interval: 1s
				  evaluation_interval: 1s
				rule_files:
				  - %s
				scrape_configs:
				  - job_name: eino-serving
				    metrics_path: /actuator/prometheus
				    static_configs:
				      - targets: ['127.0.0.1:%d']
				""".formatted(RULES, this.managementPort));
		prometheus = new ProcessBuilder(PrometheusTools.prometheus().toString(), "--config.file=" + config,
				"--storage.tsdb.path=" + WORK.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
			.redirectErrorStream(true)
			.redirectOutput(WORK.resolve("prometheus.log").toFile())
			.start();
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (System.nanoTime() < deadline) {
			try {
				if (HTTP
					.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
							HttpResponse.BodyHandlers.discarding())
					.statusCode() == 200) {
					return;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			assertThat(prometheus.isAlive()).as("Prometheus running; see %s", WORK.resolve("prometheus.log")).isTrue();
			Thread.sleep(100);
		}
		throw new AssertionError("Prometheus did not become ready; see " + WORK.resolve("prometheus.log"));
	}

	/** The result vector of an instant query; fails on a query error. */
	private static List<JsonNode> query(int port, String expression) throws IOException, InterruptedException {
		HttpResponse<String> response = HTTP.send(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
						+ URLEncoder.encode(expression, StandardCharsets.UTF_8)))
					.build(),
				HttpResponse.BodyHandlers.ofString());
		JsonNode body = JSON.readTree(response.body());
		assertThat(body.path("status").asString()).as("query %s: %s", expression, response.body()).isEqualTo("success");
		List<JsonNode> result = new ArrayList<>();
		body.path("data").path("result").forEach(result::add);
		return result;
	}

	/**
	 * Every rule's expression, by rule name, split into the parts that must return data.
	 */
	static Map<String, List<String>> ruleExpressions() throws IOException {
		Map<String, List<String>> expressions = new LinkedHashMap<>();
		JsonNode rules = tools.jackson.dataformat.yaml.YAMLMapper.builder().build().readTree(RULES.toFile());
		for (JsonNode group : rules.path("groups")) {
			for (JsonNode rule : group.path("rules")) {
				String name = rule.has("alert") ? "alert " + rule.path("alert").asString()
						: "record " + rule.path("record").asString();
				expressions.put(name, PromQl.signals(rule.path("expr").asString()));
			}
		}
		return expressions;
	}

	/**
	 * Every dashboard target's expression, by panel title, with the dashboard's variables
	 * as Grafana would fill them for all models.
	 */
	static Map<String, List<String>> dashboardExpressions() throws IOException {
		Map<String, List<String>> expressions = new LinkedHashMap<>();
		JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
		for (JsonNode panel : dashboard.path("panels")) {
			for (JsonNode target : panel.path("targets")) {
				String expression = target.path("expr")
					.asString()
					.replace("$__rate_interval", "1m")
					.replace("$namespace", ".*")
					.replace("$model", ".+");
				expressions.put("panel " + panel.path("title").asString() + " " + target.path("refId").asString(),
						List.of(expression));
			}
		}
		return expressions;
	}

	/** The eino series families the service exports now. */
	private Set<String> scrapedFamilies() throws IOException, InterruptedException {
		String text = HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.managementPort + "/actuator/prometheus"))
				.build(), HttpResponse.BodyHandlers.ofString())
			.body();
		Set<String> families = new TreeSet<>();
		Matcher type = Pattern.compile("(?m)^# TYPE (eino_\\w+) (\\w+)").matcher(text);
		while (type.find()) {
			String name = type.group(1);
			if (type.group(2).equals("counter") && !name.endsWith("_total")) {
				name = name + "_total";
			}
			if (!name.endsWith("_max")) {
				families.add(name);
			}
		}
		return families;
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	private static synchronized void append(String text) throws IOException {
		if (!Files.exists(REPORT)) {
			Files.createDirectories(REPORT.getParent());
			Files.writeString(REPORT, "# Operations checks\n\n");
		}
		Files.writeString(REPORT, text, java.nio.file.StandardOpenOption.APPEND);
	}

}
