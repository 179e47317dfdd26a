package io.eino.serving.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The committed schemas are what {@link SchemaGenerator} writes from the models on the
 * classpath (regenerate with
 * {@code ./mvnw test -Dtest=SchemasTest -Deino.schemas.write=true} after changing a model
 * version in pom.xml), and they are strict.
 */
class SchemasTest {

	private static final JsonMapper json = JsonMapper.builder().build();

	@Test
	void theCommittedSchemasAreThoseTheModelsGive() throws Exception {
		boolean write = Boolean.getBoolean("eino.schemas.write");
		List<String> stale = new ArrayList<>();
		for (Schemas.Kind kind : Schemas.KINDS) {
			String generated = SchemaGenerator.pretty(
					SchemaGenerator.schema(Class.forName(kind.model()), kind.apiVersion(), kind.kind(), kind.source()));
			Path file = Schemas.DIRECTORY.resolve(kind.file());
			if (write) {
				Files.createDirectories(file.getParent());
				Files.writeString(file, generated);
			}
			else if (!Files.exists(file) || !Files.readString(file).equals(generated)) {
				stale.add(kind.file());
			}
		}
		assertThat(stale).as("schemas to regenerate: ./mvnw test -Dtest=SchemasTest -Deino.schemas.write=true")
			.isEmpty();
	}

	@Test
	void anUnknownFieldAWrongTypeAndAMissingRequiredFieldAreRejected() {
		Schemas schemas = new Schemas();
		ObjectNode deployment = (ObjectNode) json.readTree("""
				{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
				 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}},
				  "template": {"metadata": {"labels": {"app": "x"}},
				   "spec": {"containers": [{"name": "x", "image": "x:1",
				     "resources": {"limits": {"memory": "8Gi", "cpu": 2}},
				     "ports": [{"containerPort": 8080}],
				     "readinessProbe": {"httpGet": {"path": "/", "port": "management"}}}]}}}}
				""");
		assertThat(schemas.validate(deployment)).isEmpty();

		JsonNode unknown = deployment.deepCopy();
		((ObjectNode) unknown.get("spec")).put("replica", 2);
		assertThat(schemas.validate(unknown)).singleElement().asString().contains("replica");

		JsonNode wrongType = deployment.deepCopy();
		((ObjectNode) wrongType.get("spec")).put("replicas", "two");
		assertThat(schemas.validate(wrongType)).isNotEmpty();

		JsonNode noImageName = deployment.deepCopy();
		((ObjectNode) noImageName.at("/spec/template/spec/containers/0")).remove("name");
		assertThat(schemas.validate(noImageName)).singleElement().asString().contains("name");

		JsonNode virtualService = json.readTree("""
				{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "x"},
				 "spec": {"hosts": ["x"], "http": [{"retries": {"attempts": 3, "retryOnn": "5xx"}}]}}
				""");
		assertThat(schemas.validate(virtualService)).singleElement().asString().contains("retryOnn");
		assertThat(schemas.validate(json.readTree("{\"apiVersion\": \"v9\", \"kind\": \"Unknown\"}")))
			.containsExactly("no schema for v9/Unknown");
	}

}
