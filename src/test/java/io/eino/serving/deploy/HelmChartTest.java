package io.eino.serving.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Helm chart checked by Helm (lint --strict, template with the defaults and with
 * every shipped example values file, values.schema.json) and every rendered object
 * validated against the strict schemas; the objects per values file and the results go to
 * {@code target/deploy-report.md}.
 */
class HelmChartTest {

	static final Path REPORT = Path.of("target", "deploy-report.md");

	private static final Map<String, String> report = new TreeMap<>();

	@AfterAll
	static void writeReport() throws IOException {
		StringBuilder text = new StringBuilder("# Deployment checks\n\n");
		report.forEach((section, body) -> text.append("## ").append(section).append("\n\n").append(body).append('\n'));
		Files.createDirectories(REPORT.getParent());
		Files.writeString(REPORT, text.toString());
	}

	@Test
	void appVersionIsTheProjectVersion() throws IOException {
		Properties build = new Properties();
		try (InputStream in = getClass().getResourceAsStream("/META-INF/build-info.properties")) {
			build.load(in);
		}
		String chart = Files.readString(Chart.DIRECTORY.resolve("Chart.yaml"));
		assertThat(chart).contains("appVersion: \"" + build.getProperty("build.version") + "\"");
	}

	@Test
	void helmLintStrictFindsNothing() {
		LintResult lint = new Helm(Chart.DIRECTORY).lint().strict().call();
		assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
		assertThat(lint.getMessages())
			.noneMatch((message) -> message.contains("[WARNING]") || message.contains("[ERROR]"));
		report.put("1. helm lint --strict", "```\n" + String.join("\n", lint.getMessages()) + "\n```\n");
	}

	@Test
	void everyObjectRenderedWithEveryValuesFileIsValidAgainstItsStrictSchema() throws IOException {
		Schemas schemas = new Schemas();
		List<Path> files = Chart.valuesFiles();
		assertThat(files).extracting(Chart::name).contains("default", "gpu", "canary", "keda", "vault", "pvc");
		StringBuilder table = new StringBuilder("| values | objects | schema problems |\n|---|---|---|\n");
		List<String> problems = new ArrayList<>();
		for (Path file : files) {
			List<JsonNode> objects = Chart.render(file, Map.of());
			List<String> own = new ArrayList<>();
			objects.forEach((object) -> own.addAll(schemas.validate(object)));
			problems.addAll(own.stream().map((problem) -> Chart.name(file) + ": " + problem).toList());
			table.append("| ")
				.append(Chart.name(file))
				.append(" | ")
				.append(String.join(", ", objects.stream().map(Chart::kindAndName).toList()))
				.append(" | ")
				.append(own.size())
				.append(" |\n");
		}
		report.put("2. helm template, objects and schema validation (Kubernetes " + Schemas.KUBERNETES_VERSION + ")",
				table.toString());
		assertThat(problems).isEmpty();
	}

	@Test
	void theHelmTestPodIsValidAndPredictsThroughTheService() throws IOException {
		JsonNode pod = testPod();
		assertThat(new Schemas().validate(pod)).isEmpty();
		assertThat(pod.at("/spec/containers/0/command/2").asString())
			.contains("http://eino-serving:8080/v1/models/sentiment:predict", "\"predictions\"");
		assertThat(Files.readString(Chart.DIRECTORY.resolve("templates/tests/test-predict.yaml")))
			.contains("helm.sh/hook: test");
	}

	/**
	 * The test pod is not one of the service's pods for any selector: otherwise required
	 * anti-affinity keeps it off a one-node cluster, the PodDisruptionBudget counts it
	 * and {@code kubectl wait -l app=eino-service} waits on it.
	 */
	@Test
	void noSelectorOfTheWorkloadTakesTheHelmTestPod() throws IOException {
		Map<String, String> labels = new LinkedHashMap<>();
		testPod().at("/metadata/labels")
			.properties()
			.forEach((label) -> labels.put(label.getKey(), label.getValue().asString()));
		List<Map<String, String>> selectors = new ArrayList<>();
		for (Path file : Chart.valuesFiles()) {
			for (JsonNode object : Chart.render(file, Map.of())) {
				object.findParents("matchLabels")
					.forEach((parent) -> selectors.add(strings(parent.get("matchLabels"))));
				if (object.path("kind").asString().equals("Service")) {
					selectors.add(strings(object.at("/spec/selector")));
				}
			}
		}
		selectors.add(Map.of("app", "eino-service"));
		assertThat(selectors).hasSizeGreaterThan(5);
		for (Map<String, String> selector : selectors) {
			assertThat(labels.entrySet().containsAll(selector.entrySet()))
				.as("the test pod's labels %s match the selector %s", labels, selector)
				.isFalse();
		}
	}

	private static Map<String, String> strings(JsonNode object) {
		Map<String, String> values = new LinkedHashMap<>();
		object.properties().forEach((entry) -> values.put(entry.getKey(), entry.getValue().asString()));
		return values;
	}

	/**
	 * The {@code helm test} pod, rendered from a copy of the chart where it is a plain
	 * template: helm-java's template, like an install, keeps hooks apart from the
	 * manifest.
	 */
	private static JsonNode testPod() throws IOException {
		Path copy = Path.of("target", "chart-with-tests", "eino-serving");
		org.springframework.util.FileSystemUtils.deleteRecursively(copy);
		org.springframework.util.FileSystemUtils.copyRecursively(Chart.DIRECTORY, copy);
		Path test = copy.resolve("templates/tests/test-predict.yaml");
		Files.writeString(copy.resolve("templates/test-predict.yaml"),
				Files.readString(test).replaceAll("(?m)^  annotations:\n(    helm\\.sh/hook.*\n)+", ""));
		Files.delete(test);
		return Chart.only(Chart.parse(new Helm(copy).template()
			.withName(Chart.RELEASE)
			.withNamespace(Chart.NAMESPACE)
			.withKubeVersion(Schemas.KUBERNETES_VERSION + ".0")
			.call()), "Pod");
	}

	/**
	 * Without a canary weight there is no canary route (its subset may have no pods:
	 * Envoy would answer that share with 503); with one, HTTP and gRPC are split alike.
	 */
	@Test
	void aCanaryRouteExistsOnlyWithACanaryWeightAndSplitsHttpAndGrpcAlike() {
		JsonNode stableOnly = Chart.only(Chart.render(null, Map.of("istio.enabled", true)), "VirtualService");
		assertThat(stableOnly.at("/spec/http").findValuesAsString("name")).containsExactly("grpc", "predict");
		for (JsonNode route : stableOnly.at("/spec/http")) {
			assertThat(route.path("route").findValuesAsString("subset")).as(route.toString()).containsExactly("stable");
			assertThat(route.at("/route/0/weight").asInt()).isEqualTo(100);
		}
		JsonNode split = Chart.only(Chart.render(null, Map.of("istio.enabled", true, "istio.canaryWeight", 10)),
				"VirtualService");
		for (JsonNode route : split.at("/spec/http")) {
			assertThat(route.path("route").findValuesAsString("subset")).as(route.toString())
				.containsExactly("stable", "canary");
			assertThat(route.path("route").findValues("weight").stream().map(JsonNode::asInt)).containsExactly(90, 10);
		}
	}

	/**
	 * With required anti-affinity a surge pod needs a node that runs no pod of its track:
	 * under every values file a rollout replaces pods without surging, so it never waits
	 * for a spare node (a GPU node, say).
	 */
	@Test
	void aRolloutNeverNeedsASpareNode() throws IOException {
		for (Path file : Chart.valuesFiles()) {
			JsonNode deployment = Chart.only(Chart.render(file, Map.of()), "Deployment");
			if (!deployment
				.at("/spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution")
				.isMissingNode()) {
				assertThat(deployment.at("/spec/strategy/rollingUpdate/maxSurge").asInt(-1)).as(Chart.name(file))
					.isEqualTo(0);
				assertThat(deployment.at("/spec/strategy/rollingUpdate/maxUnavailable").asInt()).as(Chart.name(file))
					.isPositive();
			}
		}
		JsonNode spread = Chart.only(Chart.render(null,
				Map.of("topologySpreadConstraints[0].maxSkew", 1, "topologySpreadConstraints[0].topologyKey",
						"topology.kubernetes.io/zone", "topologySpreadConstraints[0].whenUnsatisfiable",
						"DoNotSchedule")),
				"Deployment");
		assertThat(spread.at("/spec/template/spec/topologySpreadConstraints/0/topologyKey").asString())
			.isEqualTo("topology.kubernetes.io/zone");
		assertThat(new Schemas().validate(spread)).isEmpty();
	}

	/**
	 * Retries re-send only what never reached the service, with no per-try timeout, and
	 * both routes time out just after the service's own deadline, which the chart sets
	 * from the same value.
	 */
	@Test
	void retriesNeverResendWorkInProgressAndTimeoutsFollowTheServicesDeadline() {
		List<JsonNode> objects = Chart.render(null, Map.of("istio.enabled", true, "requestTimeoutSeconds", 20));
		JsonNode routes = Chart.only(objects, "VirtualService").at("/spec/http");
		assertThat(routes.size()).isEqualTo(2);
		for (JsonNode route : routes) {
			assertThat(route.at("/retries/perTryTimeout").isMissingNode()).as(route.toString()).isTrue();
			assertThat(List.of(route.at("/retries/retryOn").asString().split(","))).as(route.toString())
				.doesNotContainAnyElementsOf(List.of("reset", "5xx", "502", "503", "504", "gateway-error"));
			assertThat(route.path("timeout").asString()).as(route.toString()).isEqualTo("21s");
		}
		JsonNode environment = Chart.only(objects, "Deployment").at("/spec/template/spec/containers/0/env");
		assertThat(environment.findParents("name")
			.stream()
			.filter((variable) -> variable.path("name").asString().equals("EINO_BATCHING_REQUEST_TIMEOUT"))
			.map((variable) -> variable.path("value").asString())).containsExactly("20s");
	}

	/**
	 * Every release's pods (the canary's too, which owns no Istio object) ask Istio for a
	 * native sidecar, which stops only after the service has drained.
	 */
	@Test
	void theMeshProxyOutlivesTheServicesDrain() throws IOException {
		for (Path file : Chart.valuesFiles()) {
			JsonNode deployment = Chart.only(Chart.render(file, Map.of()), "Deployment");
			assertThat(deployment.at("/spec/template/metadata/annotations/sidecar.istio.io~1nativeSidecar").asString())
				.as(Chart.name(file))
				.isEqualTo("true");
		}
		JsonNode off = Chart.only(Chart.render(null, Map.of("istioNativeSidecar", false)), "Deployment");
		assertThat(off.at("/spec/template/metadata/annotations/sidecar.istio.io~1nativeSidecar").isMissingNode())
			.isTrue();
	}

	/**
	 * Under STRICT mutual TLS, Prometheus (outside the mesh, plaintext) can still scrape
	 * the management port and the proxy's metrics ports: the port takes plaintext, no
	 * identity-based rule refuses it, and the NetworkPolicy lets the monitoring namespace
	 * reach all three ports.
	 */
	@Test
	void prometheusCanScrapeUnderStrictMutualTls() {
		List<JsonNode> objects = Chart.render(null, Map.of("istio.enabled", true));
		JsonNode peers = Chart.only(objects, "PeerAuthentication");
		assertThat(peers.at("/spec/mtls/mode").asString()).isEqualTo("STRICT");
		assertThat(peers.at("/spec/portLevelMtls/8081/mode").asString()).isEqualTo("PERMISSIVE");
		JsonNode rules = Chart.only(objects, "AuthorizationPolicy").at("/spec/rules");
		assertThat(rules.valueStream()
			.filter((rule) -> rule.path("from").isMissingNode())
			.flatMap((rule) -> rule.findValues("ports").stream())
			.flatMap(JsonNode::valueStream)
			.map(JsonNode::asString)).contains("8081");
		JsonNode monitoring = Chart.only(objects, "NetworkPolicy").at("/spec/ingress/1");
		assertThat(monitoring.at("/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name").asString())
			.isEqualTo("monitoring");
		assertThat(monitoring.path("ports").findValuesAsString("port")).containsExactly("management", "15090", "15020");
	}

	/**
	 * The image's JAVA_TOOL_OPTIONS (native libraries' paths, the class data archive)
	 * reach the pod untouched: extra flags go through JDK_JAVA_OPTIONS, which the JVM
	 * adds. The startup plans' directory is the volume mounted for it.
	 */
	@Test
	void thePodKeepsTheImagesJvmFlagsAndStoresPlansOnItsVolume() {
		JsonNode container = Chart.only(Chart.render(null, Map.of()), "Deployment")
			.at("/spec/template/spec/containers/0");
		Map<String, String> env = new LinkedHashMap<>();
		container.path("env")
			.forEach((variable) -> env.put(variable.path("name").asString(), variable.path("value").asString()));
		assertThat(env).doesNotContainKeys("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");
		String plans = env.get("EINO_RUNTIME_PLAN_DIRECTORY");
		assertThat(container.path("volumeMounts")
			.valueStream()
			.filter((mount) -> mount.path("mountPath").asString().equals(plans))
			.map((mount) -> mount.path("name").asString())).containsExactly("startup-plans");
		// The volume holds the default model's plan and the optimised graph stored with
		// it
		// (69 MB): a pod whose emptyDir outgrows its limit is evicted.
		String limit = Chart.only(Chart.render(null, Map.of()), "Deployment")
			.at("/spec/template/spec/volumes")
			.valueStream()
			.filter((volume) -> volume.path("name").asString().equals("startup-plans"))
			.map((volume) -> volume.at("/emptyDir/sizeLimit").asString())
			.findFirst()
			.orElseThrow();
		assertThat(limit).matches("\\d+Mi");
		assertThat(Long.parseLong(limit.replace("Mi", ""))).isGreaterThanOrEqualTo(256);
		JsonNode tuned = Chart.only(Chart.render(null, Map.of("javaOptions", "-Xmx3g")), "Deployment")
			.at("/spec/template/spec/containers/0/env");
		assertThat(tuned.valueStream()
			.filter((variable) -> variable.path("name").asString().equals("JDK_JAVA_OPTIONS"))
			.map((variable) -> variable.path("value").asString())).containsExactly("-Xmx3g");
	}

	@Test
	void aDigestPinsTheImage() {
		String digest = "sha256:" + "ab".repeat(32);
		JsonNode pinned = Chart.only(Chart.render(null, Map.of("image.tag", "0.2.0", "image.digest", digest)),
				"Deployment");
		assertThat(pinned.at("/spec/template/spec/containers/0/image").asString())
			.isEqualTo("ghcr.io/eino-serving/eino-serving@" + digest);
		assertThatThrownBy(() -> Chart.render(null, Map.of("image.digest", "latest"))).hasMessageContaining("digest");
	}

	@Test
	void theExamplesRenderWhatTheySay() {
		Map<String, List<JsonNode>> rendered = new LinkedHashMap<>();
		Map<String, List<String>> kinds = new LinkedHashMap<>();
		for (String name : List.of("gpu", "canary", "keda", "vault", "pvc")) {
			List<JsonNode> objects = Chart.render(Chart.EXAMPLES.resolve(name + "-values.yaml"), Map.of());
			rendered.put(name, objects);
			kinds.put(name, objects.stream().map((object) -> object.path("kind").asString("")).toList());
		}
		JsonNode gpu = Chart.only(rendered.get("gpu"), "Deployment");
		assertThat(gpu.at("/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu").asInt()).isEqualTo(1);
		assertThat(gpu.at("/spec/template/spec/tolerations/0/key").asString()).isEqualTo("nvidia.com/gpu");
		// A canary release joins the stable release's Service: of its own, it has
		// only the management Service.
		assertThat(kinds.get("canary")).containsOnlyOnce("Service").doesNotContain("VirtualService");
		assertThat(rendered.get("canary")
			.stream()
			.filter((object) -> object.path("kind").asString().equals("Service"))
			.map((object) -> object.at("/metadata/name").asString())).containsExactly("eino-serving-management");
		assertThat(kinds.get("keda")).contains("ScaledObject", "ServiceMonitor", "PrometheusRule")
			.doesNotContain("HorizontalPodAutoscaler");
		assertThat(kinds.get("vault")).contains("HorizontalPodAutoscaler", "Gateway", "VirtualService",
				"DestinationRule", "PeerAuthentication", "AuthorizationPolicy");
		assertThat(kinds.get("pvc")).contains("PersistentVolumeClaim");

		JsonNode defaults = Chart.only(Chart.render(null, Map.of()), "Deployment");
		JsonNode pod = defaults.at("/spec/template/spec");
		assertThat(pod.at("/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/0/topologyKey")
			.asString()).isEqualTo("kubernetes.io/hostname");
		assertThat(pod.at("/containers/0/resources/limits/memory").asString()).isEqualTo("8Gi");
		assertThat(pod.at("/containers/0/resources/requests/memory").asString()).isEqualTo("6Gi");
		assertThat(pod.at("/containers/0/resources/requests/cpu").asString()).isEqualTo("2");
		assertThat(pod.at("/containers/0/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
		assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
		assertThat(pod.path("volumes").findValuesAsString("medium")).containsExactly("Memory");
		JsonNode preferred = Chart.only(rendered.get("pvc"), "Deployment");
		assertThat(preferred
			.at("/spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution"))
			.hasSize(1);
	}

	@Test
	void theValuesSchemaRejectsAWrongTypeAnUnknownKeyAndA503Retry() {
		StringBuilder refusals = new StringBuilder();
		for (Map<String, Object> wrong : List.<Map<String, Object>>of(Map.of("replicaCount", "two"),
				Map.of("replicaCnt", 2), Map.of("istio.retries.retryOn", "5xx"),
				Map.of("istio.retries.retryOn", "connect-failure,reset"),
				Map.of("istio.retries.grpcRetryOn", "unavailable,504"), Map.of("podAntiAffinity.mode", "sometimes"))) {
			assertThatThrownBy(() -> Chart.render(null, wrong))
				.hasMessageContaining("values don't meet the specifications")
				.satisfies((ex) -> refusals.append("- `--set ")
					.append(wrong.entrySet().iterator().next())
					.append("`: ")
					.append(ex.getMessage()
						.lines()
						.filter((line) -> line.startsWith("- "))
						.findFirst()
						.orElse("?")
						.substring(2))
					.append('\n'));
		}
		assertThatThrownBy(() -> Chart.render(null, Map.of("autoscaling.enabled", true, "keda.enabled", true)))
			.hasMessageContaining("alternatives");
		report.put("3. values.schema.json refusals", refusals.toString());
	}

}
