package io.eino.serving.api;

import java.util.List;

import io.eino.serving.error.Rule;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.validation.InvalidInputException;
import tools.jackson.databind.JsonNode;

/**
 * Reading the parts of an Open Inference Protocol v2 request body for
 * {@link OpenInferenceController}: each shape fault is an {@code input}-tier problem.
 */
final class OpenInferenceRequests {

	private OpenInferenceRequests() {
	}

	static JsonNode textInput(JsonNode inputs) {
		JsonNode text = null;
		for (JsonNode input : inputs) {
			if (Datatype.named(input.path("datatype").asString("")) == Datatype.BYTES) {
				if (inputs.size() > 1) {
					throw new InvalidInputException(Rule.REQUEST_SHAPE,
							"A text request carries exactly one BYTES input and no other input");
				}
				text = input;
			}
		}
		return text;
	}

	/**
	 * The signature a tensor request runs: {@code parameters.signature_name}, as KServe's
	 * TensorFlow runtime reads it, else {@code serving_default}.
	 */
	static String signatureName(JsonNode body) {
		JsonNode name = body.path("parameters").get("signature_name");
		if (name == null || name.isNull()) {
			return SignatureSpec.DEFAULT_KEY;
		}
		if (!name.isString()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "'parameters.signature_name' must be a string");
		}
		return name.stringValue();
	}

	static List<String> requestedOutputs(JsonNode body) {
		JsonNode outputs = body.get("outputs");
		if (outputs == null || outputs.isNull()) {
			return List.of();
		}
		if (!outputs.isArray()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "'outputs' must be an array of {\"name\": …}");
		}
		return outputs.valueStream().map((output) -> requiredString(output, "name")).toList();
	}

	static JsonNode required(JsonNode node, String field) {
		JsonNode value = node.get(field);
		if (value == null || value.isNull()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "Every input needs '" + field + "'");
		}
		return value;
	}

	static String requiredString(JsonNode node, String field) {
		JsonNode value = node.isObject() ? node.get(field) : null;
		if (value == null || !value.isString()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "Every tensor needs a string '" + field + "'");
		}
		return value.stringValue();
	}

	static long[] shape(JsonNode input) {
		JsonNode shape = required(input, "shape");
		if (!shape.isArray()) {
			throw new InvalidInputException(Rule.INPUT_SHAPE, "'shape' must be an array of integers");
		}
		long[] dims = new long[shape.size()];
		for (int i = 0; i < dims.length; i++) {
			if (!shape.get(i).isIntegralNumber() || !shape.get(i).canConvertToLong() || shape.get(i).longValue() < 0) {
				throw new InvalidInputException(Rule.INPUT_SHAPE, "'shape' must be an array of non-negative integers");
			}
			dims[i] = shape.get(i).longValue();
		}
		return dims;
	}

	/**
	 * A tensor's {@code data} in row-major order: the protocol allows it nested as the
	 * shape (a {@code [2, 1]} BYTES input as {@code [["a"], ["b"]]}) or flat.
	 */
	static JsonNode flattened(JsonNode data) {
		if (data == null || !data.isArray() || data.valueStream().noneMatch(JsonNode::isArray)) {
			return data;
		}
		tools.jackson.databind.node.ArrayNode flat = tools.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
		flatten(data, flat);
		return flat;
	}

	private static void flatten(JsonNode node, tools.jackson.databind.node.ArrayNode into) {
		for (JsonNode element : node) {
			if (element.isArray()) {
				flatten(element, into);
			}
			else {
				into.add(element);
			}
		}
	}

}
