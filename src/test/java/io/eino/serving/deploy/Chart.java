package io.eino.serving.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The Helm chart rendered by Helm itself (helm-java: the Helm Go library with its native
 * part from Maven Central, nothing downloaded at run time), as parsed objects.
 */
final class Chart {

	static final Path DIRECTORY = Path.of("helm", "eino-serving");

	/** The example values files shipped with the chart. */
	static final Path EXAMPLES = DIRECTORY.resolve("ci");

	static final String RELEASE = "eino-serving";

	static final String NAMESPACE = "eino";

	private static final YAMLMapper yaml = YAMLMapper.builder().build();

	private Chart() {
	}

	/** The example values files, by name ({@code gpu} for ci/gpu-values.yaml). */
	static List<Path> examples() throws java.io.IOException {
		try (Stream<Path> files = java.nio.file.Files.list(EXAMPLES)) {
			return files.filter((file) -> file.getFileName().toString().endsWith("-values.yaml")).sorted().toList();
		}
	}

	/**
	 * The defaults (null) and every example values file: what each rendering test covers.
	 */
	static List<Path> valuesFiles() throws java.io.IOException {
		List<Path> files = new java.util.ArrayList<>();
		files.add(null);
		files.addAll(examples());
		return files;
	}

	static String name(Path valuesFile) {
		return (valuesFile == null) ? "default" : valuesFile.getFileName().toString().replace("-values.yaml", "");
	}

	/**
	 * {@code helm template} of the chart as release {@link #RELEASE} in
	 * {@link #NAMESPACE} with {@code valuesFile} (null: the defaults) and {@code set}
	 * values.
	 */
	static List<JsonNode> render(Path valuesFile, Map<String, Object> set) {
		return parse(renderText(RELEASE, valuesFile, set));
	}

	static String renderText(String release, Path valuesFile, Map<String, Object> set) {
		// The Kubernetes version the schemas describe (Helm's own default, without a
		// cluster, is older than the chart's kubeVersion allows).
		TemplateCommand template = new Helm(DIRECTORY).template()
			.withName(release)
			.withNamespace(NAMESPACE)
			.withKubeVersion(Schemas.KUBERNETES_VERSION + ".0");
		if (valuesFile != null) {
			template = template.withValuesFile(valuesFile);
		}
		for (Map.Entry<String, Object> value : set.entrySet()) {
			template = template.set(value.getKey(), value.getValue());
		}
		return template.call();
	}

	/** The objects of a multi-document YAML text (empty documents dropped). */
	static List<JsonNode> parse(String documents) {
		List<JsonNode> objects = new ArrayList<>();
		try (MappingIterator<JsonNode> iterator = yaml.readerFor(JsonNode.class).readValues(documents)) {
			while (iterator.hasNext()) {
				JsonNode object = iterator.next();
				if (object != null && object.isObject() && !object.isEmpty()) {
					objects.add(object);
				}
			}
		}
		return objects;
	}

	static JsonNode only(List<JsonNode> objects, String kind) {
		List<JsonNode> found = objects.stream()
			.filter((object) -> object.path("kind").asString("").equals(kind))
			.toList();
		if (found.size() != 1) {
			throw new AssertionError("expected one " + kind + ", found " + found.size());
		}
		return found.get(0);
	}

	static String kindAndName(JsonNode object) {
		return object.path("kind").asString("") + "/" + object.path("metadata").path("name").asString("");
	}

}
