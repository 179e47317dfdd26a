package io.eino.serving.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.Rule;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.OpenInferenceMetadata;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.inference.TextResult;
import io.eino.serving.inference.TextTensors;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.server.Drain;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

/**
 * The Open Inference Protocol (KServe v2) REST API. Text goes in as a {@code BYTES}
 * input; {@code INT64}/{@code FP32} inputs call the signature directly.
 */
@RestController
class OpenInferenceController {

	private static final String PLATFORM = "tensorflow_savedmodel";

	private final InferenceService inference;

	private final ModelRegistry registry;

	private final InputPolicies policies;

	private final ClientResolver clients;

	private final Drain drain;

	private final String version;

	OpenInferenceController(InferenceService inference, ModelRegistry registry, InputPolicies policies,
			ClientResolver clients, Drain drain, ObjectProvider<BuildProperties> build) {
		this.inference = inference;
		this.registry = registry;
		this.policies = policies;
		this.clients = clients;
		this.drain = drain;
		BuildProperties properties = build.getIfAvailable();
		this.version = (properties != null) ? properties.getVersion() : "unknown";
	}

	/**
	 * Server metadata. No protocol extension is listed: the model repository one is
	 * served on the management port, not here.
	 */
	@GetMapping("/v2")
	Map<String, Object> server() {
		return Map.of("name", "eino-serving", "version", this.version, "extensions", List.of());
	}

	@GetMapping("/v2/health/live")
	Map<String, Object> live() {
		return Map.of("live", true);
	}

	/** Ready: every configured model serves, and the service is not shutting down. */
	@GetMapping("/v2/health/ready")
	ResponseEntity<Map<String, Object>> ready() {
		boolean ready = this.drain.acceptsTraffic() && this.registry.allReady();
		return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
			.body(Map.of("ready", ready));
	}

	@GetMapping({ "/v2/models/{model}/ready", "/v2/models/{model}/versions/{version}/ready" })
	ResponseEntity<Map<String, Object>> modelReady(@PathVariable String model,
			@PathVariable(required = false) Long version) {
		this.registry.status(model);
		boolean ready = this.registry.isReady(model)
				&& (version == null || this.registry.serving(model, null).version() == version);
		return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
			.body(Map.of("name", model, "ready", ready));
	}

	@GetMapping({ "/v2/models/{model}", "/v2/models/{model}/versions/{version}" })
	Map<String, Object> metadata(@PathVariable String model, @PathVariable(required = false) Long version) {
		ServingVersion serving = this.registry.serving(model, version);
		OpenInferenceMetadata described = OpenInferenceMetadata.of(serving);
		List<Object> inputs = new ArrayList<>();
		described.inputs().forEach((input) -> inputs.add(OpenInferenceResponses.tensorMetadata(input)));
		List<Object> outputs = new ArrayList<>();
		described.outputs().forEach((output) -> outputs.add(OpenInferenceResponses.tensorMetadata(output)));
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("name", model);
		json.put("versions", List.of(Long.toString(serving.version())));
		json.put("platform", PLATFORM);
		json.put("inputs", inputs);
		json.put("outputs", outputs);
		return json;
	}

	@AdmittedAtTheDoor
	@PostMapping(path = { "/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer" },
			consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<Map<String, Object>>> infer(@PathVariable String model,
			@PathVariable(required = false) Long version, ServerWebExchange exchange) {
		return Mono.fromCallable(() -> ApiHeaders.requestOptions(exchange, this.clients))
			.flatMap((options) -> RequestBodies
				.json(exchange.getRequest(), this.policies.forModel(model).limits().maxBodySize())
				.flatMap((body) -> infer(model, version, body, options, exchange)));
	}

	/**
	 * Triton's binary tensor data extension ({@link BinaryTensors}): a JSON request
	 * followed by its inputs' raw data.
	 */
	@AdmittedAtTheDoor
	@PostMapping(path = { "/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer" },
			headers = BinaryTensors.HEADER)
	Mono<ResponseEntity<Map<String, Object>>> inferBinary(@PathVariable String model,
			@PathVariable(required = false) Long version, ServerWebExchange exchange) {
		String length = exchange.getRequest().getHeaders().getFirst(BinaryTensors.HEADER);
		return Mono.fromCallable(() -> ApiHeaders.requestOptions(exchange, this.clients))
			.flatMap((options) -> RequestBodies
				.bytes(exchange.getRequest(), this.policies.forModel(model).limits().maxBodySize())
				.map((bytes) -> BinaryTensors.request(bytes, length))
				.flatMap((body) -> infer(model, version, body, options, exchange)));
	}

	private Mono<ResponseEntity<Map<String, Object>>> infer(String model, Long version, JsonNode body,
			RequestOptions options, ServerWebExchange exchange) {
		return Mono.defer(() -> {
			Predictions.requireObject(body);
			JsonNode inputs = body.get("inputs");
			if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
				throw new InvalidInputException(Rule.REQUEST_SHAPE, "'inputs' must be a non-empty array of tensors");
			}
			// Echoed as it came: the protocol says a string, but a number comes back
			// as a number.
			JsonNode id = body.hasNonNull("id") ? body.get("id") : null;
			List<String> requested = OpenInferenceRequests.requestedOutputs(body);
			return Resolutions.run(exchange, this.inference, model, version, (request) -> {
				JsonNode text = request.takesText() ? OpenInferenceRequests.textInput(inputs) : null;
				if (text != null) {
					List<String> texts = Predictions.texts(OpenInferenceRequests.flattened(text.get("data")));
					if (texts == null) {
						throw new InvalidInputException(Rule.INPUT_DATATYPE,
								"A BYTES input's 'data' must hold strings");
					}
					long[] shape = OpenInferenceRequests.shape(text);
					long elements = 1;
					for (long dimension : shape) {
						elements = (dimension == 0 || elements <= Integer.MAX_VALUE / Math.max(1, dimension))
								? elements * dimension : Long.MAX_VALUE;
					}
					if (elements != texts.size()) {
						throw new InvalidInputException(Rule.INPUT_SHAPE,
								"Input '" + text.path("name").asString() + "' has shape "
										+ java.util.Arrays.toString(shape) + " (" + elements + " elements) but "
										+ texts.size() + " strings in 'data'");
					}
					return this.inference.predictText(request, texts, options)
						.doOnNext((result) -> AccessLog.answered(exchange, result))
						.map((result) -> Predictions.respond(result,
								body(result.version(), model, id, textOutputs(result, requested))));
				}
				SignatureSpec signature = request.signature(OpenInferenceRequests.signatureName(body));
				Map<String, HostTensor> tensors = new LinkedHashMap<>();
				for (JsonNode input : inputs) {
					String name = OpenInferenceRequests.requiredString(input, "name");
					String datatype = OpenInferenceRequests.requiredString(input, "datatype");
					this.inference.checkDeclaredInput(request, signature, name, datatype);
					tensors.put(name, JsonTensors.fromFlat(name, OpenInferenceRequests.required(input, "data"),
							OpenInferenceRequests.shape(input), Datatype.named(datatype)));
				}
				return this.inference.predictTensors(request, signature, tensors, requested, options).map((result) -> {
					List<Object> outputs = new ArrayList<>();
					result.outputs()
						.forEach((name, tensor) -> outputs.add(OpenInferenceResponses.tensor(name,
								tensor.datatype().name(), tensor.shape(), JsonTensors.flatData(tensor))));
					return respond(result.version(), model, id, outputs);
				});
			});
		});
	}

	private static List<Object> textOutputs(TextResult result, List<String> requested) {
		List<Object> outputs = new ArrayList<>();
		TextTensors.of(result.predictions(), requested)
			.forEach((name, tensor) -> outputs.add(OpenInferenceResponses.tensor(name, tensor.datatype().name(),
					tensor.shape(), JsonTensors.flatData(tensor))));
		return outputs;
	}

	private static ResponseEntity<Map<String, Object>> respond(long version, String model, JsonNode id,
			List<Object> outputs) {
		return ResponseEntity.ok()
			.header(ApiHeaders.MODEL_VERSION, Long.toString(version))
			.body(body(version, model, id, outputs));
	}

	private static Map<String, Object> body(long version, String model, JsonNode id, List<Object> outputs) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("model_name", model);
		json.put("model_version", Long.toString(version));
		if (id != null) {
			json.put("id", id);
		}
		json.put("outputs", outputs);
		return json;
	}

}
