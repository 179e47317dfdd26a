package io.eino.serving.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.eino.serving.api.DefaultServingContext;
import io.eino.serving.operations.MetricsDocs;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a typo in the deployment files would break, checked against the running service
 * (the default configuration and model): the chart's probes answered 200 as the kubelet
 * would call them, its ports those the application listens on, every metric the HPA,
 * KEDA, the ServiceMonitor, the PrometheusRule, the dashboard and the canary analysis
 * name present in the service's scrape, and the Istio objects' hosts, subsets and labels
 * matching the Services and pods of a stable and a canary release.
 */
class DeploymentConsistencyIntegrationTest extends DefaultServingContext {

	private static final Pattern METRIC = Pattern.compile("\\beino_[a-z_]+");

	private static final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@Test
	void theChartsProbesAndPortsAreThoseTheServiceAnswers() throws Exception {
		List<JsonNode> defaults = Chart.render(null, Map.of());
		JsonNode deployment = Chart.only(defaults, "Deployment");
		JsonNode container = deployment.at("/spec/template/spec/containers/0");
		Map<String, Integer> ports = new java.util.HashMap<>();
		container.path("ports")
			.forEach((port) -> ports.put(port.path("name").asString(), port.path("containerPort").asInt()));
		JsonNode application = YAMLMapper.builder()
			.build()
			.readTree(Path.of("src/main/resources/application.yaml").toFile());
		assertThat(ports).containsEntry("http", application.at("/server/port").asInt())
			.containsEntry("management", application.at("/management/server/port").asInt());
		List<String> probed = new ArrayList<>();
		for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
			JsonNode get = container.path(probe).path("httpGet");
			String portName = get.path("port").asString();
			assertThat(portName).as(probe).isEqualTo("management");
			int status = get(this.managementPort, get.path("path").asString()).statusCode();
			probed.add(probe + " " + get.path("path").asString() + " on " + portName + ": " + status);
			assertThat(status).as(probe).isEqualTo(200);
		}
		for (JsonNode service : defaults.stream().filter((o) -> o.path("kind").asString().equals("Service")).toList()) {
			service.at("/spec/ports")
				.forEach((port) -> assertThat(ports).containsKey(port.path("targetPort").asString()));
		}
		JsonNode policy = Chart.only(defaults, "NetworkPolicy");
		// Every port but the Istio proxy's metrics ports (its own, by number) is one the
		// service's container names.
		assertThat(policy.findValuesAsString("port")).filteredOn((port) -> !List.of("15090", "15020").contains(port))
			.isNotEmpty()
			.allMatch(ports::containsKey);
		System.out.println(String.join("\n", probed));
	}

	@Test
	void everyMetricTheDeploymentFilesNameIsInTheScrape() throws Exception {
		// One answered prediction, so that the request series exist.
		HttpResponse<String> answer = http
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/v1/models/sentiment:predict"))
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [\"a wonderful film\"]}"))
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(answer.statusCode()).isEqualTo(200);
		HttpResponse<String> scrape = get(this.managementPort, "/actuator/prometheus");
		assertThat(scrape.statusCode()).isEqualTo(200);
		Set<String> scraped = new TreeSet<>();
		scrape.body().lines().filter((line) -> !line.startsWith("#")).forEach((line) -> {
			Matcher matcher = METRIC.matcher(line);
			if (matcher.lookingAt()) {
				scraped.add(matcher.group());
			}
		});
		List<JsonNode> objects = new ArrayList<>(Chart.render(Chart.EXAMPLES.resolve("vault-values.yaml"), Map.of()));
		objects.addAll(Chart.render(Chart.EXAMPLES.resolve("keda-values.yaml"), Map.of()));
		StringBuilder named = new StringBuilder();
		objects.stream()
			.filter((o) -> Set.of("HorizontalPodAutoscaler", "ScaledObject", "PrometheusRule", "ConfigMap")
				.contains(o.path("kind").asString()))
			.forEach(named::append);
		named.append(Files.readString(Path.of("istio", "argo-rollouts-canary.yaml")));
		Set<String> metrics = new TreeSet<>();
		Matcher matcher = METRIC.matcher(named);
		while (matcher.find()) {
			metrics.add(matcher.group());
		}
		assertThat(metrics).contains("eino_pending_requests", "eino_request_duration_seconds_bucket",
				"eino_requests_total");
		// Series documented as appearing at their first event (a failed load, a
		// degraded answer) need not be in a fresh scrape.
		Set<String> onFirstEvent = MetricsDocs.appearingAtFirstEvent();
		List<String> missing = metrics.stream()
			.filter((metric) -> !onFirstEvent.contains(metric))
			.filter((metric) -> Stream.of("", "_bucket", "_count", "_sum")
				.noneMatch((suffix) -> scraped.contains(metric + suffix)))
			.toList();
		assertThat(missing).as("named by the deployment files, absent from the scrape").isEmpty();
		JsonNode monitor = Chart.only(Chart.render(Chart.EXAMPLES.resolve("keda-values.yaml"), Map.of()),
				"ServiceMonitor");
		assertThat(get(this.managementPort, monitor.at("/spec/endpoints/0/path").asString()).statusCode())
			.isEqualTo(200);
		System.out.println("Metrics named by the deployment files, all in the scrape: " + metrics);
	}

	@Test
	void theIstioObjectsMatchTheServicesAndThePodsOfBothTracks() {
		// The stable release routes to the canary subset once the canary release runs.
		List<JsonNode> stable = Chart.render(Chart.EXAMPLES.resolve("vault-values.yaml"),
				Map.of("istio.canaryWeight", 5));
		List<JsonNode> canary = Chart
			.parse(Chart.renderText("eino-serving-canary", Chart.EXAMPLES.resolve("canary-values.yaml"), Map.of()));
		JsonNode serviceObject = mainService(stable);
		String service = serviceObject.at("/metadata/name").asString();
		JsonNode virtualService = Chart.only(stable, "VirtualService");
		JsonNode destinationRule = Chart.only(stable, "DestinationRule");
		assertThat(texts(virtualService.at("/spec/hosts"))).contains(service);
		assertThat(destinationRule.at("/spec/host").asString()).isEqualTo(service);
		assertThat(virtualService.findValuesAsString("host")).containsOnly(service);
		Set<String> subsets = new TreeSet<>(destinationRule.at("/spec/subsets").findValuesAsString("name"));
		assertThat(new TreeSet<>(virtualService.findValuesAsString("subset"))).isEqualTo(subsets)
			.containsExactly("canary", "stable");
		assertThat(texts(virtualService.at("/spec/gateways")))
			.contains(Chart.only(stable, "Gateway").at("/metadata/name").asString());
		// Each subset's labels select its track's pods; the shared Service selects
		// the pods of both tracks.
		JsonNode selector = serviceObject.at("/spec/selector");
		for (JsonNode subset : destinationRule.at("/spec/subsets")) {
			List<JsonNode> release = subset.path("name").asString().equals("stable") ? stable : canary;
			JsonNode podLabels = Chart.only(release, "Deployment").at("/spec/template/metadata/labels");
			subset.path("labels")
				.properties()
				.forEach((label) -> assertThat(podLabels.path(label.getKey()).asString())
					.as(subset.path("name").asString() + " " + label.getKey())
					.isEqualTo(label.getValue().asString()));
			selector.properties()
				.forEach((label) -> assertThat(podLabels.path(label.getKey()).asString())
					.isEqualTo(label.getValue().asString()));
		}
		assertThat(Chart.only(canary, "Deployment").at("/spec/template/metadata/labels/track").asString())
			.isEqualTo("canary");
		// The canary release names the stable release's Service (it creates none).
		assertThat(canary).noneMatch((o) -> o.path("kind").asString().equals("Service")
				&& o.at("/metadata/name").asString().equals(service));
		assertThat(virtualService.at("/spec/http/0/retries/retryOn").asString()).doesNotContain("503", "5xx",
				"gateway-error");
	}

	/** The Service clients call (not the management one). */
	private static JsonNode mainService(List<JsonNode> objects) {
		return objects.stream()
			.filter((o) -> o.path("kind").asString().equals("Service"))
			.filter((o) -> !o.at("/metadata/labels/app.kubernetes.io~1component").asString("").equals("management"))
			.findFirst()
			.orElseThrow();
	}

	private static List<String> texts(JsonNode array) {
		List<String> texts = new ArrayList<>();
		array.forEach((item) -> texts.add(item.asString()));
		return texts;
	}

	private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
		return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

}
