package io.eino.serving.deploy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a strict JSON schema (draft 2020-12) of a Kubernetes kind from the Java models
 * generated from its API: the official Kubernetes client's (Gson's
 * {@code @SerializedName} fields, {@code openapiRequiredFields}) for the built-in kinds,
 * fabric8's (Jackson's {@code @JsonProperty} fields) for Istio's and the Prometheus
 * Operator's custom resources. Every object lists its fields and allows no others;
 * required fields are required where the model says so. The schemas are committed under
 * {@code src/test/resources/schemas} (docs/deployment.md, "Validation"), and
 * {@link SchemasTest} checks that they are what this writes from the models on the
 * classpath.
 *
 * <p>
 * Hand-written: no library on Maven Central writes JSON schemas of Kubernetes objects,
 * and the published ones (kubernetes-json-schema) are not reachable from the build
 * machines.
 */
final class SchemaGenerator {

	private static final JsonNodeFactory nodes = JsonNodeFactory.instance;

	private final Map<String, ObjectNode> definitions = new TreeMap<>();

	private SchemaGenerator() {
	}

	/**
	 * The schema of {@code kind} objects of {@code apiVersion}, modelled by
	 * {@code model}.
	 */
	static ObjectNode schema(Class<?> model, String apiVersion, String kind, String source) {
		SchemaGenerator generator = new SchemaGenerator();
		String root = generator.define(model);
		ObjectNode schema = nodes.objectNode();
		schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
		schema.put("title", apiVersion + " " + kind);
		schema.put("description", "Strict schema of " + kind + " (" + apiVersion + "), written by "
				+ "io.eino.serving.deploy.SchemaGenerator from " + source + ".");
		schema.put("$ref", "#/$defs/" + root);
		ObjectNode rootDefinition = generator.definitions.get(root);
		rootDefinition.set("required", nodes.arrayNode().add("apiVersion").add("kind").add("metadata"));
		((ObjectNode) rootDefinition.get("properties")).set("apiVersion", nodes.objectNode().put("const", apiVersion));
		((ObjectNode) rootDefinition.get("properties")).set("kind", nodes.objectNode().put("const", kind));
		ObjectNode defs = schema.putObject("$defs");
		generator.definitions.forEach(defs::set);
		return schema;
	}

	static String pretty(JsonNode schema) {
		return JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(schema) + "\n";
	}

	private String define(Class<?> model) {
		String name = model.getName().replace('$', '.');
		if (this.definitions.containsKey(name)) {
			return name;
		}
		ObjectNode definition = nodes.objectNode();
		this.definitions.put(name, definition);
		definition.put("type", "object");
		ObjectNode properties = nodes.objectNode();
		Set<String> required = new TreeSet<>(requiredFields(model));
		for (Class<?> type = model; type != null && type != Object.class; type = type.getSuperclass()) {
			for (Field field : type.getDeclaredFields()) {
				String json = jsonName(field);
				if (json != null && !Modifier.isStatic(field.getModifiers()) && !properties.has(json)) {
					properties.set(json, schemaOf(field.getGenericType()));
				}
			}
		}
		required.retainAll(fieldNames(properties));
		definition.set("properties", sortedCopy(properties));
		if (!required.isEmpty()) {
			ArrayNode list = definition.putArray("required");
			required.forEach(list::add);
		}
		definition.put("additionalProperties", false);
		return name;
	}

	private JsonNode schemaOf(Type type) {
		if (type instanceof ParameterizedType parameterized) {
			Class<?> raw = (Class<?>) parameterized.getRawType();
			Type[] arguments = parameterized.getActualTypeArguments();
			if (Collection.class.isAssignableFrom(raw)) {
				return nodes.objectNode().put("type", "array").set("items", schemaOf(arguments[0]));
			}
			if (Map.class.isAssignableFrom(raw)) {
				return nodes.objectNode().put("type", "object").set("additionalProperties", schemaOf(arguments[1]));
			}
			return nodes.objectNode();
		}
		if (!(type instanceof Class<?> cls)) {
			return nodes.objectNode();
		}
		String name = cls.getName();
		if (cls == String.class || name.equals("java.time.OffsetDateTime") || cls == byte[].class) {
			return nodes.objectNode().put("type", "string");
		}
		if (cls == Integer.class || cls == int.class || cls == Long.class || cls == long.class) {
			return nodes.objectNode().put("type", "integer");
		}
		if (cls == Boolean.class || cls == boolean.class) {
			return nodes.objectNode().put("type", "boolean");
		}
		if (Number.class.isAssignableFrom(cls) || cls == double.class || cls == float.class) {
			return nodes.objectNode().put("type", "number");
		}
		if (name.endsWith(".IntOrString")) {
			return nodes.objectNode().set("type", nodes.arrayNode().add("integer").add("string"));
		}
		if (name.endsWith(".Quantity")) {
			return nodes.objectNode().set("type", nodes.arrayNode().add("string").add("number"));
		}
		if (cls.isEnum()) {
			ArrayNode values = nodes.arrayNode();
			for (Field constant : cls.getFields()) {
				if (constant.isEnumConstant()) {
					String json = jsonName(constant);
					values.add((json != null) ? json : constant.getName());
				}
			}
			return nodes.objectNode().put("type", "string").set("enum", values);
		}
		if (cls.isInterface() || cls == Object.class || Modifier.isAbstract(cls.getModifiers()) || !isModel(cls)) {
			// A polymorphic field (a protobuf oneof in fabric8's Istio models) or
			// free JSON: any value.
			return nodes.objectNode();
		}
		return nodes.objectNode().put("$ref", "#/$defs/" + define(cls));
	}

	private static boolean isModel(Class<?> cls) {
		String name = cls.getName();
		return name.startsWith("io.kubernetes.client.openapi.models.") || name.startsWith("io.fabric8.");
	}

	/** The JSON name of a field: Gson's {@code @SerializedName} or Jackson's. */
	private static String jsonName(Field field) {
		com.google.gson.annotations.SerializedName gson = field
			.getAnnotation(com.google.gson.annotations.SerializedName.class);
		if (gson != null) {
			return gson.value();
		}
		com.fasterxml.jackson.annotation.JsonProperty jackson = field
			.getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
		if (jackson != null && !jackson.value().isEmpty()) {
			return jackson.value();
		}
		return null;
	}

	/** The official client's {@code openapiRequiredFields}; none for fabric8's models. */
	@SuppressWarnings("unchecked")
	private static Set<String> requiredFields(Class<?> model) {
		try {
			Field field = model.getField("openapiRequiredFields");
			return new TreeSet<>((Set<String>) field.get(null));
		}
		catch (NoSuchFieldException ex) {
			return Set.of();
		}
		catch (IllegalAccessException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static Set<String> fieldNames(ObjectNode object) {
		Set<String> names = new TreeSet<>();
		object.propertyNames().forEach(names::add);
		return names;
	}

	private static ObjectNode sortedCopy(ObjectNode object) {
		ObjectNode sorted = nodes.objectNode();
		fieldNames(object).forEach((name) -> sorted.set(name, object.get(name)));
		return sorted;
	}

}
