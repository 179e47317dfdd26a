package io.eino.serving.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.Rule;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.inference.TensorResult;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ModelState;
import io.eino.serving.model.VersionStatus;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ServerWebExchange;

/**
 * TensorFlow Serving's REST API: predict (row and columnar formats), model status and
 * metadata, with version-pinned variants.
 */
@RestController
class TfServingController {

	private final InferenceService inference;

	private final ModelRegistry registry;

	private final InputPolicies policies;

	private final ClientResolver clients;

	TfServingController(InferenceService inference, ModelRegistry registry, InputPolicies policies,
			ClientResolver clients) {
		this.inference = inference;
		this.registry = registry;
		this.policies = policies;
		this.clients = clients;
	}

	/** The verbs of the POST routes under {@code /v1/models/{model}:}. */
	private static final Set<String> POST_VERBS = Set.of("predict", "classify", "regress", "explain");

	@AdmittedAtTheDoor
	@PostMapping(path = "/v1/models/{model}:predict", consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<Map<String, Object>>> predict(@PathVariable String model, ServerWebExchange exchange) {
		return predict(model, null, exchange);
	}

	@AdmittedAtTheDoor
	@PostMapping(path = "/v1/models/{model}/versions/{version}:predict", consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<Map<String, Object>>> predict(@PathVariable String model, @PathVariable long version,
			ServerWebExchange exchange) {
		return predict(model, Long.valueOf(version), exchange);
	}

	/**
	 * TF Serving's model status, which is also KServe V1's: {@code name} and
	 * {@code ready} beside {@code model_version_status}.
	 */
	@GetMapping("/v1/models/{model}")
	Map<String, Object> status(@PathVariable String model) {
		refuseVerb(model);
		return withReadiness(model, TfServingMetadata.status(this.registry.status(model)),
				this.registry.isReady(model));
	}

	@GetMapping("/v1/models/{model}/versions/{version}")
	Map<String, Object> status(@PathVariable String model, @PathVariable long version) {
		List<VersionStatus> statuses = this.registry.status(model)
			.stream()
			.filter((status) -> status.version() == version)
			.toList();
		if (statuses.isEmpty()) {
			throw new io.eino.serving.model.ModelNotFoundException(
					"Version " + version + " of model '" + model + "' is not known");
		}
		return withReadiness(model, TfServingMetadata.status(statuses),
				statuses.stream().anyMatch((status) -> status.state() == ModelState.AVAILABLE));
	}

	/**
	 * A GET on a route that takes POST ({@code /v1/models/m:predict}) matches the status
	 * route with the verb in the model's name: the method is what is wrong, so it is
	 * answered 405 with {@code Allow: POST}, not "model not served".
	 */
	private static void refuseVerb(String model) {
		int colon = model.lastIndexOf(':');
		if (colon > 0 && POST_VERBS.contains(model.substring(colon + 1))) {
			throw new MethodNotAllowedException(HttpMethod.GET, Set.of(HttpMethod.POST));
		}
	}

	private static Map<String, Object> withReadiness(String model, Map<String, Object> status, boolean ready) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("name", model);
		json.put("ready", ready);
		json.putAll(status);
		return json;
	}

	@GetMapping("/v1/models/{model}/metadata")
	Map<String, Object> metadata(@PathVariable String model) {
		return TfServingMetadata.of(this.registry.serving(model, null));
	}

	@GetMapping("/v1/models/{model}/versions/{version}/metadata")
	Map<String, Object> metadata(@PathVariable String model, @PathVariable long version) {
		return TfServingMetadata.of(this.registry.serving(model, version));
	}

	private Mono<ResponseEntity<Map<String, Object>>> predict(String model, Long version, ServerWebExchange exchange) {
		return Mono.fromCallable(() -> ApiHeaders.requestOptions(exchange, this.clients))
			.flatMap((options) -> RequestBodies
				.json(exchange.getRequest(), this.policies.forModel(model).limits().maxBodySize())
				.flatMap((body) -> predict(model, version, body, options, exchange)));
	}

	private Mono<ResponseEntity<Map<String, Object>>> predict(String model, Long version, JsonNode body,
			RequestOptions options, ServerWebExchange exchange) {
		return Mono.defer(() -> {
			Predictions.requireObject(body);
			JsonNode instances = body.get("instances");
			JsonNode inputs = body.get("inputs");
			if ((instances == null) == (inputs == null)) {
				throw new InvalidInputException(Rule.REQUEST_SHAPE,
						"A predict request has exactly one of 'instances' (row format) or 'inputs' (columnar format)");
			}
			boolean rows = instances != null;
			JsonNode payload = rows ? instances : inputs;
			String signature = signatureName(body);
			if (rows && (!payload.isArray() || payload.isEmpty())) {
				throw new InvalidInputException(Rule.EMPTY_INSTANCES, "'instances' must be a non-empty array");
			}
			return Resolutions.run(exchange, this.inference, model, version, (request) -> {
				List<String> texts = request.takesText() ? Predictions.texts(payload) : null;
				if (texts != null) {
					// Text runs the signature of its model's text pipeline: a
					// signature_name, if given, must name that one.
					request.textSignature(body.has("signature_name") ? signature : null);
					return this.inference.predictText(request, texts, options)
						.doOnNext((result) -> AccessLog.answered(exchange, result))
						.map((result) -> {
							List<Object> predictions = result.predictions().stream().map(Predictions::render).toList();
							return Predictions.respond(result, rows ? Map.of("predictions", predictions)
									: Map.of("outputs", Predictions.columns(predictions)));
						});
				}
				SignatureSpec spec = request.signature(signature);
				Map<String, HostTensor> tensors = rows ? rowTensors(spec, payload) : columnTensors(spec, payload);
				return this.inference.predictTensors(request, spec, tensors, List.of(), options)
					.map((result) -> withVersion(result.version(), rows ? rowOutputs(result) : columnOutputs(result)));
			});
		});
	}

	private static String signatureName(JsonNode body) {
		JsonNode name = body.get("signature_name");
		if (name == null || name.isNull()) {
			return SignatureSpec.DEFAULT_KEY;
		}
		if (!name.isString()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "'signature_name' must be a string");
		}
		return name.stringValue();
	}

	/**
	 * The row format: each instance an object of named inputs, or, for a signature with
	 * one input, that input's value.
	 */
	private static Map<String, HostTensor> rowTensors(SignatureSpec signature, JsonNode instances) {
		Map<String, List<JsonNode>> columns = new LinkedHashMap<>();
		String single = (signature.inputs().size() == 1) ? signature.inputs().get(0).name() : null;
		for (JsonNode instance : instances) {
			if (!isNamedInputs(instance)) {
				if (single == null) {
					throw new InvalidInputException(Rule.INSTANCE_TYPE, "Signature '" + signature.key() + "' takes "
							+ signature.inputs().size() + " inputs: each instance must be an object naming them");
				}
				columns.computeIfAbsent(single, (name) -> new ArrayList<>()).add(instance);
				continue;
			}
			if (!columns.isEmpty() && !columns.keySet().equals(instance.propertyNames())) {
				throw new InvalidInputException(Rule.INSTANCE_TYPE, "Every instance must name the same inputs");
			}
			for (Map.Entry<String, JsonNode> input : instance.properties()) {
				columns.computeIfAbsent(input.getKey(), (name) -> new ArrayList<>()).add(input.getValue());
			}
		}
		Map<String, HostTensor> tensors = new LinkedHashMap<>();
		columns.forEach((name, values) -> {
			TensorSpec spec = InferenceService.inputSpec(signature, name);
			tensors.put(name,
					JsonTensors.fromNested(name, JsonNodeFactory.instance.arrayNode().addAll(values), spec.datatype()));
		});
		return tensors;
	}

	/**
	 * The columnar format: an object of named tensors, or, for a signature with one
	 * input, that input's tensor.
	 */
	private static Map<String, HostTensor> columnTensors(SignatureSpec signature, JsonNode inputs) {
		Map<String, HostTensor> tensors = new LinkedHashMap<>();
		if (!isNamedInputs(inputs)) {
			if (signature.inputs().size() != 1) {
				throw new InvalidInputException(Rule.INSTANCE_TYPE, "Signature '" + signature.key() + "' takes "
						+ signature.inputs().size() + " inputs: 'inputs' must be an object naming them");
			}
			TensorSpec spec = signature.inputs().get(0);
			tensors.put(spec.name(), JsonTensors.fromNested(spec.name(), inputs, spec.datatype()));
			return tensors;
		}
		if (inputs.isEmpty()) {
			throw new InvalidInputException(Rule.INSTANCE_TYPE, "'inputs' names no tensor");
		}
		for (Map.Entry<String, JsonNode> input : inputs.properties()) {
			TensorSpec spec = InferenceService.inputSpec(signature, input.getKey());
			tensors.put(input.getKey(), JsonTensors.fromNested(input.getKey(), input.getValue(), spec.datatype()));
		}
		return tensors;
	}

	/** An object of named inputs, not a single binary value {@code {"b64": …}}. */
	private static boolean isNamedInputs(JsonNode node) {
		return node.isObject() && !JsonTensors.isBinary(node);
	}

	/**
	 * The row format's answer: one entry per row, the output's value when the signature
	 * answers one output, else an object of them (as TF Serving answers).
	 */
	private static Map<String, Object> rowOutputs(TensorResult result) {
		int batch = (int) result.outputs().values().iterator().next().shape()[0];
		boolean single = result.outputs().size() == 1;
		List<Object> predictions = new ArrayList<>(batch);
		for (int i = 0; i < batch; i++) {
			Map<String, Object> prediction = new LinkedHashMap<>();
			for (Map.Entry<String, HostTensor> output : result.outputs().entrySet()) {
				prediction.put(output.getKey(), JsonTensors.row(output.getValue(), i, base64(output.getKey())));
			}
			predictions.add(single ? prediction.values().iterator().next() : prediction);
		}
		return Map.of("predictions", predictions);
	}

	private static Map<String, Object> columnOutputs(TensorResult result) {
		Map<String, Object> outputs = new LinkedHashMap<>();
		result.outputs().forEach((name, tensor) -> outputs.put(name, JsonTensors.toNested(tensor, base64(name))));
		return Map.of("outputs", (outputs.size() == 1) ? outputs.values().iterator().next() : outputs);
	}

	/** TF Serving answers outputs named {@code *_bytes} as base64. */
	private static boolean base64(String output) {
		return output.endsWith("_bytes");
	}

	private static ResponseEntity<Map<String, Object>> withVersion(long version, Map<String, Object> body) {
		return ResponseEntity.ok().header(ApiHeaders.MODEL_VERSION, Long.toString(version)).body(body);
	}

}
