package io.eino.serving.deploy;

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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import static io.eino.serving.deploy.DockerCli.awaitHealthy;
import static io.eino.serving.deploy.DockerCli.docker;
import static io.eino.serving.deploy.DockerCli.freePort;
import static io.eino.serving.deploy.DockerCli.predict;
import static io.eino.serving.deploy.DockerCli.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The eino and prometheus services of {@code docker-compose.yml}, run by Debian's
 * docker-compose ({@code -Deino.compose}: another Compose command) on a machine that
 * reaches no image registry and gives containers the host's network only. The stack runs
 * from the file as {@code docker-compose config} resolves it, with what such a machine
 * cannot give changed and nothing else: host networking on ports of the test's choosing
 * instead of published ports (the build's too), Prometheus built on a local Debian base
 * ({@code -Deino.prometheus.base}, made by {@code bin/build-image --local-bases}), the
 * scrape target on loopback, and no Vault profile (Vault and Grafana run in the GitHub
 * workflow's compose job). Needs the image ({@code -Deino.image}); run by
 * {@code bin/test-compose}, not by {@code verify}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackIT {

	private static final String IMAGE = System.getProperty("eino.image", "eino-serving:local");

	private static final String PROMETHEUS_BASE = System.getProperty("eino.prometheus.base",
			"eino-base/debian:bookworm");

	private static final String PROJECT = "eino-compose-it";

	/**
	 * Debian's {@code docker-compose} (Compose 1.29) or {@code docker compose} (Compose
	 * 2).
	 */
	private static final List<String> COMPOSE = List
		.of(System.getProperty("eino.compose", "docker-compose").trim().split("\\s+"));

	private static final Path WORK = Path.of("target", "compose-stack").toAbsolutePath();

	private static final Duration READY_WITHIN = Duration.ofSeconds(300);

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final YAMLMapper YAML = YAMLMapper.builder().build();

	private static final Map<String, Integer> ports = new TreeMap<>();

	private static Path stack;

	@BeforeAll
	static void startTheStack() throws Exception {
		for (String port : List.of("http", "management", "grpc", "prometheus")) {
			ports.put(port, freePort());
		}
		Files.createDirectories(WORK);
		// The shipped file, resolved by docker-compose itself (which also validates it).
		List<String> config = new ArrayList<>(COMPOSE);
		config.addAll(List.of("--file", Path.of("docker-compose.yml").toAbsolutePath().toString(), "config"));
		JsonNode resolved = YAML.readTree(DockerCli.output(config));
		ObjectNode services = (ObjectNode) resolved.path("services");
		services.retain(Set.of("eino", "prometheus"));
		for (JsonNode service : services) {
			ObjectNode writable = (ObjectNode) service;
			writable.remove(List.of("ports", "depends_on", "networks"));
			writable.put("network_mode", "host");
		}
		((ObjectNode) resolved).remove("networks");
		ObjectNode eino = (ObjectNode) services.path("eino");
		eino.remove("build");
		eino.put("image", IMAGE);
		ObjectNode environment = (ObjectNode) eino.path("environment");
		environment.remove(List.of("VAULT_ADDR", "VAULT_TOKEN"));
		environment.put("SPRING_PROFILES_ACTIVE", "json");
		environment.put("SERVER_PORT", String.valueOf(ports.get("http")));
		environment.put("MANAGEMENT_SERVER_PORT", String.valueOf(ports.get("management")));
		environment.put("EINO_GRPC_PORT", String.valueOf(ports.get("grpc")));
		ObjectNode prometheus = (ObjectNode) services.path("prometheus");
		ObjectNode build = (ObjectNode) prometheus.path("build");
		build.put("network", "host");
		((ObjectNode) build.path("args")).put("BASE", PROMETHEUS_BASE);
		((ArrayNode) prometheus.path("command")).add("--web.listen-address=127.0.0.1:" + ports.get("prometheus"));
		Path configuration = WORK.resolve("prometheus.yml");
		Files.writeString(configuration,
				Files.readString(Path.of("compose", "prometheus", "prometheus.yml"))
					.replace("eino:8081", "127.0.0.1:" + ports.get("management"))
					.replace("interval: 15s", "interval: 2s"));
		// Compose 1 resolves mounts to "source:target:mode", Compose 2 to objects.
		ArrayNode volumes = (ArrayNode) prometheus.path("volumes");
		for (int i = 0; i < volumes.size(); i++) {
			JsonNode volume = volumes.get(i);
			if (volume.isObject() && volume.path("target").asString().equals("/etc/prometheus/prometheus.yml")) {
				((ObjectNode) volume).put("source", configuration.toString());
			}
			else if (volume.isString() && volume.asString().split(":")[1].equals("/etc/prometheus/prometheus.yml")) {
				volumes.set(i, configuration + ":/etc/prometheus/prometheus.yml:ro");
			}
		}
		stack = WORK.resolve("docker-compose.yml");
		Files.writeString(stack, YAML.writeValueAsString(resolved));
		// From a fresh start: no plan kept from an earlier run.
		compose(-1, stack, "down", "--volumes", "--timeout", "5");
		compose(0, stack, "up", "--detach", "--build");
	}

	@AfterAll
	static void removeIt() throws Exception {
		if (stack != null) {
			System.out.println(compose(-1, stack, "logs", "--no-color", "--tail", "40", "prometheus"));
			compose(-1, stack, "down", "--volumes", "--timeout", "5");
		}
	}

	@Test
	@Order(1)
	void theServiceBecomesHealthyAsComposeRunsIt() throws Exception {
		String eino = container("eino");
		Duration healthy = awaitHealthy(eino, READY_WITHIN, () -> logs("eino"));
		System.out.printf("compose: eino healthy %.0f s after up%n", healthy.toMillis() / 1000.0);
		// As the file says: read-only root, user 10001, the two tmpfs mounts.
		assertThat(docker(0, "inspect", "-f", "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}", eino).trim())
			.isEqualTo("true 10001:10001");
		assertThat(docker(0, "inspect", "-f", "{{json .HostConfig.Tmpfs}}", eino)).contains("/tmp")
			.contains("/var/run/eino/plaintext");
		HttpResponse<String> response = predict(HTTP, ports.get("http"));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
	}

	@Test
	@Order(2)
	void prometheusScrapesTheContainerAndEvaluatesTheShippedRules() throws Exception {
		assertThat(eventually("up{job=\"eino-serving\"}").at("/0/value/1").asString()).isEqualTo("1");
		// A recording rule over the requests counter: the scrape carries the service's
		// series, and the rules evaluate on them.
		assertThat(eventually("eino:requests:rate5m{model=\"sentiment\"}")).isNotEmpty();
		JsonNode groups = get("/api/v1/rules").at("/data/groups");
		List<String> names = new ArrayList<>();
		List<String> unhealthy = new ArrayList<>();
		int rules = 0;
		for (JsonNode group : groups) {
			names.add(group.path("name").asString());
			for (JsonNode rule : group.path("rules")) {
				rules++;
				if (!rule.path("health").asString().equals("ok")) {
					unhealthy.add(rule.path("name").asString() + ": " + rule.path("lastError").asString());
				}
				if (rule.path("name").asString().equals("EinoServiceAbsent")) {
					assertThat(rule.path("state").asString()).isEqualTo("inactive");
				}
			}
		}
		assertThat(names).containsExactlyInAnyOrder("eino-serving.recording", "eino-serving.alerts");
		assertThat(rules).isEqualTo(ruleCount());
		assertThat(unhealthy).isEmpty();
	}

	/** promtool, from the same package, on the files the running Prometheus loaded. */
	@Test
	@Order(3)
	void promtoolPassesTheLiveConfigurationAndRules() throws Exception {
		String prometheus = container("prometheus");
		assertThat(docker(0, "exec", prometheus, "promtool", "check", "config", "/etc/prometheus/prometheus.yml"))
			.contains("SUCCESS: /etc/prometheus/prometheus.yml is valid prometheus config file syntax")
			.contains("SUCCESS: " + ruleCount() + " rules found");
		assertThat(docker(0, "exec", prometheus, "promtool", "query", "instant",
				"http://127.0.0.1:" + ports.get("prometheus"), "count(eino_model_ready{job=\"eino-serving\"} == 1)"))
			.as("both bundled models ready, as Prometheus scraped them")
			.containsPattern("=> 2 @");
	}

	@Test
	@Order(4)
	void stoppingTheStackDrainsAndExitsZero() throws Exception {
		String eino = container("eino");
		compose(0, stack, "stop", "eino");
		assertThat(docker(0, "inspect", "-f", "{{.State.ExitCode}}", eino).trim()).as(logs("eino")).isEqualTo("0");
	}

	/**
	 * The plans' volume outlives the container: the next {@code up} reuses the plan and
	 * the optimised graph stored with it.
	 */
	@Test
	@Order(5)
	void theNextUpReusesTheStartupPlan() throws Exception {
		compose(0, stack, "up", "--detach", "--force-recreate", "eino");
		String eino = container("eino");
		Duration healthy = awaitHealthy(eino, READY_WITHIN, () -> logs("eino"));
		System.out.printf("compose: eino healthy %.0f s after the second up%n", healthy.toMillis() / 1000.0);
		assertThat(docker(0, "logs", eino)).contains("Reusing the startup plan")
			.contains("session(s) opened on the stored optimised graph");
	}

	/** The rules of the file the chart and the stack ship. */
	private static int ruleCount() throws Exception {
		int count = 0;
		for (JsonNode group : YAML.readTree(Path.of("helm/eino-serving/files/prometheus/rules.yaml").toFile())
			.path("groups")) {
			count += group.path("rules").size();
		}
		return count;
	}

	/** The result of {@code query}, once it has one (or after 60 s, empty). */
	private static JsonNode eventually(String query) throws Exception {
		String path = "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8);
		long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
		JsonNode result = get(path).at("/data/result");
		while (result.isEmpty() && System.nanoTime() < deadline) {
			Thread.sleep(1000);
			result = get(path).at("/data/result");
		}
		return result;
	}

	private static JsonNode get(String path) throws Exception {
		HttpResponse<String> response = HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get("prometheus") + path))
				.timeout(Duration.ofSeconds(10))
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	private static String container(String service) throws Exception {
		String id = compose(0, stack, "ps", "-q", service).trim();
		assertThat(id).as("a container for " + service).isNotEmpty();
		return id;
	}

	private static String logs(String service) throws Exception {
		return compose(-1, stack, "logs", "--no-color", "--tail", "60", service);
	}

	private static String compose(int expectedExit, Path file, String... arguments) throws Exception {
		List<String> command = new ArrayList<>(COMPOSE);
		command.addAll(List.of("--file", file.toString(), "--project-name", PROJECT));
		command.addAll(List.of(arguments));
		return run(expectedExit, command);
	}

}
