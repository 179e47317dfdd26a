package io.eino.serving.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.Rule;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.inference.TextResult;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

/**
 * The OpenAI embeddings API ({@code POST /v1/embeddings}), which Spring AI's and
 * LangChain4j's OpenAI clients and the OpenAI SDKs call: the texts of {@code input} (a
 * string or an array of strings) through an embedding model's text pipeline, batched with
 * every other request to it, each vector as floats or as base64 of little-endian float32.
 * {@code dimensions} keeps the first dimensions and normalises them again to unit length
 * (as OpenAI does for its models trained for it; for others an approximation, see
 * docs/protocols.md). Errors carry OpenAI's error object ({@link ProblemHandler}).
 */
@RestController
class EmbeddingsController {

	/** The route, which answers errors with OpenAI's error object too. */
	static final String PATH = "/v1/embeddings";

	private final InferenceService inference;

	private final InputPolicies policies;

	private final ClientResolver clients;

	EmbeddingsController(InferenceService inference, InputPolicies policies, ClientResolver clients) {
		this.inference = inference;
		this.policies = policies;
		this.clients = clients;
	}

	@PostMapping(path = PATH, consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<Map<String, Object>> embeddings(ServerWebExchange exchange) {
		return Mono.fromCallable(() -> ApiHeaders.requestOptions(exchange, this.clients))
			.flatMap((options) -> RequestBodies
				// The model is named in the body: the default body limit applies.
				.json(exchange.getRequest(), this.policies.forModel("").limits().maxBodySize())
				.flatMap((body) -> embeddings(Predictions.requireObject(body), options, exchange)));
	}

	private Mono<Map<String, Object>> embeddings(JsonNode body, RequestOptions options, ServerWebExchange exchange) {
		String model = string(body, "model", true);
		List<String> texts = texts(body.get("input"));
		boolean base64 = encoding(body);
		Integer dimensions = dimensions(body.get("dimensions"));
		string(body, "user", false);
		return Resolutions.run(exchange, this.inference, model, null, (request) -> {
			request.requireEmbeddings();
			return this.inference.predictText(request, texts, options)
				.doOnNext((result) -> AccessLog.answered(exchange, result))
				.map((result) -> answer(model, result, base64, dimensions));
		});
	}

	private static Map<String, Object> answer(String model, TextResult result, boolean base64, Integer dimensions) {
		List<Object> data = new ArrayList<>(result.predictions().size());
		for (int i = 0; i < result.predictions().size(); i++) {
			float[] vector = ((TextPrediction.Embedding) result.predictions().get(i)).vector();
			float[] kept = (dimensions == null) ? vector : shortened(vector, dimensions);
			Map<String, Object> embedding = new LinkedHashMap<>();
			embedding.put("object", "embedding");
			embedding.put("index", i);
			embedding.put("embedding", base64 ? base64(kept) : kept);
			data.add(embedding);
		}
		Map<String, Object> answer = new LinkedHashMap<>();
		answer.put("object", "list");
		answer.put("data", data);
		answer.put("model", model);
		Map<String, Object> usage = new LinkedHashMap<>();
		usage.put("prompt_tokens", result.tokens());
		usage.put("total_tokens", result.tokens());
		answer.put("usage", usage);
		return answer;
	}

	/** The first {@code dimensions}, normalised again to unit length. */
	static float[] shortened(float[] vector, int dimensions) {
		if (dimensions > vector.length) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE,
					"'dimensions' is " + dimensions + " but the model's embeddings have " + vector.length);
		}
		float[] kept = java.util.Arrays.copyOf(vector, dimensions);
		double norm = 0;
		for (float value : kept) {
			norm += (double) value * value;
		}
		norm = Math.sqrt(norm);
		for (int i = 0; i < kept.length && norm > 0; i++) {
			kept[i] = (float) (kept[i] / norm);
		}
		return kept;
	}

	/**
	 * Little-endian float32, as the OpenAI SDKs decode {@code encoding_format: base64}.
	 */
	static String base64(float[] vector) {
		ByteBuffer bytes = ByteBuffer.allocate(4 * vector.length).order(ByteOrder.LITTLE_ENDIAN);
		for (float value : vector) {
			bytes.putFloat(value);
		}
		return Base64.getEncoder().encodeToString(bytes.array());
	}

	/** {@code input}: a string or a non-empty array of strings. */
	static List<String> texts(JsonNode input) {
		if (input == null || input.isNull()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "'input' is required: a string or an array of strings");
		}
		if (input.isString()) {
			return List.of(input.stringValue());
		}
		if (!input.isArray() || input.isEmpty()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE,
					"'input' must be a string or a non-empty array of strings");
		}
		List<String> texts = new ArrayList<>(input.size());
		for (JsonNode item : input) {
			if (item.isNumber() || item.isArray()) {
				throw new InvalidInputException(Rule.REQUEST_SHAPE,
						"'input' holds token ids: this service takes texts, which it tokenizes with the model's own "
								+ "tokenizer; send the texts");
			}
			if (!item.isString()) {
				throw new InvalidInputException(Rule.REQUEST_SHAPE, "'input[" + texts.size() + "]' must be a string");
			}
			texts.add(item.stringValue());
		}
		return texts;
	}

	private static boolean encoding(JsonNode body) {
		String format = string(body, "encoding_format", false);
		if (format == null || format.equals("float")) {
			return false;
		}
		if (format.equals("base64")) {
			return true;
		}
		throw new InvalidInputException(Rule.REQUEST_SHAPE,
				"'encoding_format' must be 'float' or 'base64', not '" + format + "'");
	}

	private static Integer dimensions(JsonNode dimensions) {
		if (dimensions == null || dimensions.isNull()) {
			return null;
		}
		if (!dimensions.isIntegralNumber() || !dimensions.canConvertToInt() || dimensions.intValue() < 1) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "'dimensions' must be a positive integer");
		}
		return dimensions.intValue();
	}

	private static String string(JsonNode body, String name, boolean required) {
		JsonNode value = body.get(name);
		if (value == null || value.isNull()) {
			if (required) {
				throw new InvalidInputException(Rule.REQUEST_SHAPE, "'" + name + "' is required");
			}
			return null;
		}
		if (!value.isString()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "'" + name + "' must be a string");
		}
		return value.stringValue();
	}

}
