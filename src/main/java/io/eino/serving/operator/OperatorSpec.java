package io.eino.serving.operator;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pipeline entry of {@code model.yaml}: an operator name, alone ({@code - softmax})
 * or with arguments ({@code - {name: labels, names: [neg, pos]}}).
 *
 * @param name the operator
 * @param arguments its arguments, plain YAML values
 */
public record OperatorSpec(String name, Map<String, Object> arguments) {

	public OperatorSpec {
		arguments = Map.copyOf(arguments);
	}

	/**
	 * The entries of a {@code preprocess} or {@code postprocess} list as YAML reads it.
	 */
	public static List<OperatorSpec> parse(Object entries) {
		if (entries == null) {
			return List.of();
		}
		if (!(entries instanceof List<?> list)) {
			throw new IllegalArgumentException("A pipeline is a list of operators");
		}
		return list.stream().map(OperatorSpec::parseEntry).toList();
	}

	private static OperatorSpec parseEntry(Object entry) {
		if (entry instanceof String name) {
			return new OperatorSpec(name, Map.of());
		}
		if (entry instanceof Map<?, ?> map && map.get("name") instanceof String name) {
			Map<String, Object> arguments = new LinkedHashMap<>();
			map.forEach((key, value) -> {
				if (!"name".equals(key)) {
					arguments.put(String.valueOf(key), value);
				}
			});
			return new OperatorSpec(name, arguments);
		}
		throw new IllegalArgumentException("A pipeline entry is an operator name or a map with 'name': " + entry);
	}

	/** The entry as YAML writes it. */
	public Object toYaml() {
		if (this.arguments.isEmpty()) {
			return this.name;
		}
		Map<String, Object> yaml = new LinkedHashMap<>();
		yaml.put("name", this.name);
		yaml.putAll(this.arguments);
		return yaml;
	}

}
