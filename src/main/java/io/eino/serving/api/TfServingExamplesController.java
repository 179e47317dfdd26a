package io.eino.serving.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.google.protobuf.ByteString;
import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.Rule;
import io.eino.serving.inference.ExampleInference;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import org.tensorflow.example.BytesList;
import org.tensorflow.example.Example;
import org.tensorflow.example.Feature;
import org.tensorflow.example.Features;
import org.tensorflow.example.FloatList;
import org.tensorflow.example.Int64List;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

/**
 * TF Serving's REST classify and regress APIs (docs/protocols.md, "Classify and
 * regress"): {@code {"signature_name", "context", "examples"}} of JSON features become
 * {@code tf.Example}s (a string or {@code {"b64"}} a bytes feature, an integer an int64
 * one, any other number a float one, an array a list of one kind), answered as
 * {@code {"results": …}}.
 */
@RestController
class TfServingExamplesController {

	private final ExampleInference examples;

	private final InferenceService inference;

	private final InputPolicies policies;

	private final ClientResolver clients;

	TfServingExamplesController(ExampleInference examples, InferenceService inference, InputPolicies policies,
			ClientResolver clients) {
		this.examples = examples;
		this.inference = inference;
		this.policies = policies;
		this.clients = clients;
	}

	@PostMapping(path = { "/v1/models/{model}:classify", "/v1/models/{model}/versions/{version}:classify" },
			consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<Map<String, Object>>> classify(@PathVariable String model,
			@PathVariable(required = false) Long version, ServerWebExchange exchange) {
		return body(model, exchange)
			.flatMap((request) -> Resolutions.run(exchange, this.inference, model, version, (resolved) -> {
				this.inference.checkDoor(resolved, request.options().client());
				return this.examples.classify(resolved, request.signature(), request.examples(), request.options());
			}).map((result) -> {
				List<Object> results = new ArrayList<>();
				for (List<ExampleInference.LabelScore> classes : result.classes()) {
					results.add(classes.stream()
						.map((labelScore) -> List.<Object>of(labelScore.label(), labelScore.score()))
						.toList());
				}
				return respond(result.version(), Map.of("results", results));
			}));
	}

	@PostMapping(path = { "/v1/models/{model}:regress", "/v1/models/{model}/versions/{version}:regress" },
			consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<Map<String, Object>>> regress(@PathVariable String model,
			@PathVariable(required = false) Long version, ServerWebExchange exchange) {
		return body(model,
				exchange)
			.flatMap((request) -> Resolutions.run(exchange, this.inference, model, version, (resolved) -> this.examples
				.regress(resolved, request.signature(), request.examples(), request.options())))
			.map((result) -> {
				List<Float> values = new ArrayList<>();
				for (float value : result.values()) {
					values.add(value);
				}
				return respond(result.version(), Map.of("results", values));
			});
	}

	private record ExamplesRequest(String signature, List<Example> examples, RequestOptions options) {
	}

	private Mono<ExamplesRequest> body(String model, ServerWebExchange exchange) {
		return Mono.fromCallable(() -> ApiHeaders.requestOptions(exchange, this.clients))
			.flatMap((options) -> RequestBodies
				.json(exchange.getRequest(), this.policies.forModel(model).limits().maxBodySize())
				.map((body) -> {
					Predictions.requireObject(body);
					JsonNode examples = body.get("examples");
					if (examples == null || !examples.isArray() || examples.isEmpty()) {
						throw new InvalidInputException(Rule.EMPTY_INSTANCES,
								"'examples' must be a non-empty array of feature objects");
					}
					List<Example> parsed = new ArrayList<>();
					for (JsonNode example : examples) {
						parsed.add(example(example));
					}
					JsonNode context = body.get("context");
					if (context != null && !context.isNull()) {
						parsed = ExampleInference.withContext(parsed, example(context));
					}
					JsonNode signature = body.get("signature_name");
					if (signature != null && !signature.isNull() && !signature.isString()) {
						throw new InvalidInputException(Rule.REQUEST_SHAPE, "'signature_name' must be a string");
					}
					return new ExamplesRequest(
							(signature != null && signature.isString()) ? signature.stringValue() : null, parsed,
							options);
				}));
	}

	private static Example example(JsonNode json) {
		if (!json.isObject()) {
			throw new InvalidInputException(Rule.INSTANCE_TYPE,
					"Each example (and the context) is an object of features");
		}
		Features.Builder features = Features.newBuilder();
		for (Map.Entry<String, JsonNode> feature : json.properties()) {
			features.putFeature(feature.getKey(), feature(feature.getKey(), feature.getValue()));
		}
		return Example.newBuilder().setFeatures(features).build();
	}

	private static Feature feature(String name, JsonNode value) {
		List<JsonNode> values = new ArrayList<>();
		if (value.isArray()) {
			value.forEach(values::add);
		}
		else {
			values.add(value);
		}
		if (values.isEmpty()) {
			throw new InvalidInputException(Rule.INSTANCE_TYPE, "Feature '" + name + "' holds no value");
		}
		if (values.stream().allMatch((each) -> each.isString() || JsonTensors.isBinary(each))) {
			BytesList.Builder bytes = BytesList.newBuilder();
			for (JsonNode each : values) {
				bytes.addValue(each.isString() ? ByteString.copyFrom(each.stringValue(), StandardCharsets.UTF_8)
						: ByteString.copyFrom(JsonTensors.binary(each,
								"Feature '" + name + "': a {\"b64\": …} value must be standard base64")));
			}
			return Feature.newBuilder().setBytesList(bytes).build();
		}
		if (values.stream().allMatch((each) -> each.isIntegralNumber() && each.canConvertToLong())) {
			Int64List.Builder longs = Int64List.newBuilder();
			values.forEach((each) -> longs.addValue(each.longValue()));
			return Feature.newBuilder().setInt64List(longs).build();
		}
		if (values.stream().allMatch(JsonNode::isNumber)) {
			FloatList.Builder floats = FloatList.newBuilder();
			values.forEach((each) -> floats.addValue((float) each.doubleValue()));
			return Feature.newBuilder().setFloatList(floats).build();
		}
		throw new InvalidInputException(Rule.INSTANCE_TYPE, "Feature '" + name
				+ "' must hold strings ({\"b64\": …} for bytes), integers or numbers, all of one kind");
	}

	private static ResponseEntity<Map<String, Object>> respond(long version, Map<String, Object> body) {
		return ResponseEntity.ok().header(ApiHeaders.MODEL_VERSION, Long.toString(version)).body(body);
	}

}
