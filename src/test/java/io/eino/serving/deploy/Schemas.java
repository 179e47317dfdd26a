package io.eino.serving.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.NonValidationKeyword;
import tools.jackson.databind.JsonNode;

/**
 * The strict JSON schemas the deployment files are validated against, committed under
 * {@code src/test/resources/schemas} (their sources and licences in the README there),
 * and the validation itself with networknt's json-schema-validator.
 */
final class Schemas {

	/** Where the schemas are committed. */
	static final Path DIRECTORY = Path.of("src", "test", "resources", "schemas");

	/** The Kubernetes version whose API the built-in kinds' schemas describe. */
	static final String KUBERNETES_VERSION = "1.34";

	/**
	 * A kind with a schema: written by {@link SchemaGenerator} from {@code model}, or (no
	 * model) taken as published.
	 */
	record Kind(String apiVersion, String kind, String model, String source, String file) {

		static Kind kubernetes(String apiVersion, String kind, String model) {
			return new Kind(apiVersion, kind, "io.kubernetes.client.openapi.models." + model,
					"io.kubernetes:client-java-api (Kubernetes " + KUBERNETES_VERSION + " API)",
					"kubernetes/" + kind.toLowerCase(Locale.ROOT) + "-" + apiVersion.replace('/', '-') + ".json");
		}

		static Kind fabric8(String apiVersion, String kind, String model, String source, String directory) {
			return new Kind(apiVersion, kind, model, source,
					directory + "/" + kind.toLowerCase(Locale.ROOT) + "-" + apiVersion.replace('/', '-') + ".json");
		}

		String key() {
			return this.apiVersion + "/" + this.kind;
		}

	}

	private static final String ISTIO = "io.fabric8:istio-model (Istio's API)";

	private static final String PROMETHEUS_OPERATOR = "io.fabric8:openshift-model-monitoring (Prometheus Operator's API)";

	/** Every kind the chart, istio/ and the examples may contain. */
	static final List<Kind> KINDS = List.of(Kind.kubernetes("apps/v1", "Deployment", "V1Deployment"),
			Kind.kubernetes("v1", "Service", "V1Service"), Kind.kubernetes("v1", "ServiceAccount", "V1ServiceAccount"),
			Kind.kubernetes("v1", "ConfigMap", "V1ConfigMap"), Kind.kubernetes("v1", "Secret", "V1Secret"),
			Kind.kubernetes("v1", "Pod", "V1Pod"),
			Kind.kubernetes("v1", "PersistentVolumeClaim", "V1PersistentVolumeClaim"),
			Kind.kubernetes("autoscaling/v2", "HorizontalPodAutoscaler", "V2HorizontalPodAutoscaler"),
			Kind.kubernetes("policy/v1", "PodDisruptionBudget", "V1PodDisruptionBudget"),
			Kind.kubernetes("networking.k8s.io/v1", "NetworkPolicy", "V1NetworkPolicy"),
			Kind.fabric8("networking.istio.io/v1", "Gateway", "io.fabric8.istio.api.networking.v1.Gateway", ISTIO,
					"istio"),
			Kind.fabric8("networking.istio.io/v1", "VirtualService",
					"io.fabric8.istio.api.networking.v1.VirtualService", ISTIO, "istio"),
			Kind.fabric8("networking.istio.io/v1", "DestinationRule",
					"io.fabric8.istio.api.networking.v1.DestinationRule", ISTIO, "istio"),
			Kind.fabric8("security.istio.io/v1", "PeerAuthentication",
					"io.fabric8.istio.api.security.v1.PeerAuthentication", ISTIO, "istio"),
			Kind.fabric8("security.istio.io/v1", "AuthorizationPolicy",
					"io.fabric8.istio.api.security.v1.AuthorizationPolicy", ISTIO, "istio"),
			Kind.fabric8("monitoring.coreos.com/v1", "ServiceMonitor",
					"io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor", PROMETHEUS_OPERATOR,
					"prometheus-operator"),
			Kind.fabric8("monitoring.coreos.com/v1", "PrometheusRule",
					"io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule", PROMETHEUS_OPERATOR,
					"prometheus-operator"));

	/**
	 * Kinds with no Java model on Maven Central, whose schemas were converted once from
	 * the TypeScript declarations that the npm packages of kubernetes-models generate
	 * from the projects' CRDs (dts2schema.py, README there) and are committed as they
	 * are.
	 */
	static final List<Kind> CONVERTED = List.of(
			new Kind("keda.sh/v1alpha1", "ScaledObject", null, "@kubernetes-models/keda 0.4.2",
					"keda/scaledobject-keda.sh-v1alpha1.json"),
			new Kind("argoproj.io/v1alpha1", "Rollout", null, "@kubernetes-models/argo-rollouts 0.3.2",
					"argo-rollouts/rollout-argoproj.io-v1alpha1.json"),
			new Kind("argoproj.io/v1alpha1", "AnalysisTemplate", null, "@kubernetes-models/argo-rollouts 0.3.2",
					"argo-rollouts/analysistemplate-argoproj.io-v1alpha1.json"));

	private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

	/**
	 * For the Compose specification's schema, which declares draft 2019-09 but still
	 * marks its parts with draft 4's {@code id}: that keyword is read as the annotation
	 * it is.
	 */
	private final SchemaRegistry published = SchemaRegistry
		.withDialect(Dialect.builder(Dialects.getDraft201909()).keyword(new NonValidationKeyword("id")).build());

	private final Map<String, Schema> schemas = new HashMap<>();

	/**
	 * The problems of one object against its kind's schema; an object of a kind without a
	 * schema is a problem itself.
	 */
	List<String> validate(JsonNode object) {
		String key = object.path("apiVersion").asString("") + "/" + object.path("kind").asString("");
		Kind kind = java.util.stream.Stream.concat(KINDS.stream(), CONVERTED.stream())
			.filter((candidate) -> candidate.key().equals(key))
			.findFirst()
			.orElse(null);
		if (kind == null) {
			return List.of("no schema for " + key);
		}
		Schema schema = this.schemas.computeIfAbsent(kind.file(),
				(file) -> load(this.registry, DIRECTORY.resolve(file)));
		List<String> problems = new ArrayList<>();
		for (Error error : schema.validate(object)) {
			problems.add(key + " " + object.path("metadata").path("name").asString("") + ": " + error.getMessage());
		}
		return problems;
	}

	/**
	 * The problems of a document against the schema in {@code file} (under DIRECTORY).
	 */
	List<String> validate(String file, JsonNode document) {
		Schema schema = this.schemas.computeIfAbsent(file, (name) -> load(this.published, DIRECTORY.resolve(name)));
		return schema.validate(document).stream().map(Error::getMessage).toList();
	}

	private static Schema load(SchemaRegistry registry, Path file) {
		try {
			return registry.getSchema(Files.readString(file), InputFormat.JSON);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
