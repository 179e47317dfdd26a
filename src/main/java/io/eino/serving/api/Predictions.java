package io.eino.serving.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.error.Rule;
import io.eino.serving.inference.TextResult;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.validation.InvalidInputException;
import io.eino.serving.validation.Utf8Text;
import tools.jackson.databind.JsonNode;

import org.springframework.http.ResponseEntity;

/**
 * Request parsing and prediction rendering shared by the two protocols.
 */
final class Predictions {

	private Predictions() {
	}

	/**
	 * The texts of a request: a string, or an array of strings and TF Serving's binary
	 * values {@code {"b64": "<base64>"}} (decoded, and read as UTF-8 text); null when the
	 * node holds anything else.
	 */
	static List<String> texts(JsonNode node) {
		if (node.isString()) {
			return List.of(node.stringValue());
		}
		if (!node.isArray() || node.isEmpty()) {
			return null;
		}
		for (JsonNode element : node) {
			if (!element.isString() && !JsonTensors.isBinary(element)) {
				return null;
			}
		}
		return node.valueStream()
			.map((element) -> element.isString() ? element.stringValue() : decode(element))
			.toList();
	}

	private static String decode(JsonNode binary) {
		return Utf8Text.decode(JsonTensors.binary(binary, "A {\"b64\": …} value must be standard base64"),
				"A {\"b64\": …} value sent as text must decode to UTF-8 text");
	}

	/**
	 * A text prediction as JSON: an object for classifications, an array for embeddings.
	 */
	static Object render(TextPrediction prediction) {
		if (prediction instanceof TextPrediction.Classification classification) {
			Map<String, Object> json = new LinkedHashMap<>();
			json.put("label", classification.label());
			json.put("score", classification.score());
			json.put("scores", classification.scores());
			return json;
		}
		return ((TextPrediction.Embedding) prediction).vector();
	}

	/**
	 * Text predictions in TF Serving's columnar format: with several named outputs (a
	 * classification's {@code label}, {@code score}, {@code scores}) an object of them,
	 * one list each, in text order; with one (an embedding), that output's list.
	 */
	static Object columns(List<Object> rendered) {
		if (rendered.isEmpty() || !(rendered.get(0) instanceof Map<?, ?>)) {
			return rendered;
		}
		Map<String, List<Object>> columns = new LinkedHashMap<>();
		for (Object row : rendered) {
			((Map<?, ?>) row).forEach((name, value) -> columns
				.computeIfAbsent((String) name, (key) -> new java.util.ArrayList<>(rendered.size()))
				.add(value));
		}
		return columns;
	}

	/**
	 * A text response: the version that answered in {@code Eino-Model-Version}, and how
	 * it degraded, if it did, in {@code Eino-Degraded}.
	 */
	static ResponseEntity<Map<String, Object>> respond(TextResult result, Map<String, Object> body) {
		ResponseEntity.BodyBuilder response = ResponseEntity.ok()
			.header(ApiHeaders.MODEL_VERSION, Long.toString(result.version()));
		if (result.degradation() != null) {
			response.header(ApiHeaders.DEGRADED, result.degradation());
		}
		return response.body(body);
	}

	static JsonNode requireObject(JsonNode body) {
		if (body == null || !body.isObject()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "The request body must be a JSON object");
		}
		return body;
	}

}
