package io.eino.serving.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.eino.serving.operations.PrometheusTools;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The plain manifests beside the chart: {@code istio/} (the same objects the chart
 * renders with {@code istio.enabled}, plus the Flagger example) and the local stack
 * ({@code docker-compose.yml} against the Compose specification's schema, its Prometheus
 * configuration checked by promtool with the alert rules it mounts).
 */
class ManifestsTest {

	private static final Set<String> ISTIO_KINDS = Set.of("Gateway", "VirtualService", "DestinationRule",
			"PeerAuthentication", "AuthorizationPolicy");

	/** Labels Helm adds that plain manifests do without. */
	private static final List<String> HELM_LABELS = List.of("helm.sh/chart", "app.kubernetes.io/managed-by");

	@Test
	void theIstioManifestsAreTheChartsIstioObjects() throws Exception {
		List<JsonNode> plain = Chart.parse(Files.readString(Path.of("istio", "eino-serving.yaml")));
		List<JsonNode> rendered = Chart.render(null, Map.of("istio.enabled", true, "istio.canaryWeight", 5))
			.stream()
			.filter((object) -> ISTIO_KINDS.contains(object.path("kind").asString()))
			.map(ManifestsTest::withoutHelmLabels)
			.toList();
		assertThat(rendered).hasSize(ISTIO_KINDS.size());
		assertThat(plain.stream().map(ManifestsTest::withoutHelmLabels).toList())
			.as("istio/eino-serving.yaml is `helm template eino-serving helm/eino-serving -n eino --set istio.enabled=true --set istio.canaryWeight=5`'s Istio objects")
			.containsExactlyInAnyOrderElementsOf(rendered);
	}

	/**
	 * The Argo Rollouts example promotes only a canary it measured (no data, no traffic
	 * or no scrape, fails a step), and shifts the gRPC route with the HTTP one.
	 */
	@Test
	void theRolloutExamplePromotesOnlyAMeasuredCanaryOnBothRoutes() throws Exception {
		List<JsonNode> objects = Chart.parse(Files.readString(Path.of("istio", "argo-rollouts-canary.yaml")));
		JsonNode rollout = Chart.only(objects, "Rollout");
		assertThat(rollout.at("/spec/strategy/canary/trafficRouting/istio/virtualService/routes")
			.valueStream()
			.map(JsonNode::asString)).containsExactlyInAnyOrder("predict", "grpc");
		JsonNode metrics = Chart.only(objects, "AnalysisTemplate").at("/spec/metrics");
		assertThat(metrics.size()).isEqualTo(2);
		for (JsonNode metric : metrics) {
			// Argo evaluates the condition on the query's result vector: it must hold a
			// value, and an empty vector must not pass.
			assertThat(metric.path("successCondition").asString()).as(metric.path("name").asString())
				.startsWith("len(result) == 1 && ")
				.doesNotContain("len(result) == 0");
		}
	}

	@Test
	void everyIstioManifestIsValidAgainstItsStrictSchema() throws Exception {
		Schemas schemas = new Schemas();
		List<String> problems = new ArrayList<>();
		List<String> objects = new ArrayList<>();
		try (var files = Files.list(Path.of("istio"))) {
			for (Path file : files.sorted().toList()) {
				for (JsonNode object : Chart.parse(Files.readString(file))) {
					objects.add(file.getFileName() + ": " + Chart.kindAndName(object));
					problems.addAll(schemas.validate(object));
				}
			}
		}
		assertThat(objects).hasSizeGreaterThanOrEqualTo(ISTIO_KINDS.size() + 2);
		assertThat(problems).isEmpty();
	}

	@Test
	void theComposeFileFollowsTheComposeSpecificationAndItsPrometheusLoadsTheRules() throws Exception {
		JsonNode compose = YAMLMapper.builder().build().readTree(Path.of("docker-compose.yml").toFile());
		assertThat(new Schemas().validate("compose/compose-spec.json", compose)).isEmpty();
		assertThat(compose.at("/services/eino/build/dockerfile").asString()).isEqualTo("Dockerfile");
		assertThat(compose.at("/services/eino/environment/SPRING_PROFILES_ACTIVE").asString()).contains("vault");
		// Prometheus in the stack reads the rules the chart ships, at the path
		// that its configuration names.
		String rulesMount = null;
		for (JsonNode volume : compose.at("/services/prometheus/volumes")) {
			String[] parts = volume.asString().split(":");
			if (parts[0].equals("./helm/eino-serving/files/prometheus/rules.yaml")) {
				rulesMount = parts[1];
			}
		}
		assertThat(rulesMount).isNotNull();
		String configuration = Files.readString(Path.of("compose", "prometheus", "prometheus.yml"));
		assertThat(configuration).contains(rulesMount).contains("eino:8081").contains("/actuator/prometheus");
		Path checked = Path.of("target", "compose-prometheus.yml").toAbsolutePath();
		Files.createDirectories(checked.getParent());
		Files.writeString(checked, configuration.replace(rulesMount,
				Path.of("helm/eino-serving/files/prometheus/rules.yaml").toAbsolutePath().toString()));
		assertThat(PrometheusTools.check(PrometheusTools.promtool(), "check", "config", checked.toString()))
			.contains("SUCCESS");
	}

	private static JsonNode withoutHelmLabels(JsonNode object) {
		JsonNode copy = object.deepCopy();
		JsonNode labels = copy.at("/metadata/labels");
		if (labels instanceof ObjectNode writable) {
			HELM_LABELS.forEach(writable::remove);
		}
		return copy;
	}

}
