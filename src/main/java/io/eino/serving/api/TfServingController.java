package io.eino.serving.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.Rule;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.inference.TensorResult;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ModelState;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.model.VersionStatus;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
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

	@PostMapping(path = "/v1/models/{model}:predict", consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<Map<String, Object>>> predict(@PathVariable String model, ServerWebExchange exchange) {
		return predict(model, null, exchange);
	}

	@PostMapping(path = "/v1/models/{model}/versions/{version}:predict", consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<Map<String, Object>>> predict(@PathVariable String model, @PathVariable long version,
			ServerWebExchange exchange) {
		return predict(model, Long.valueOf(version), exchange);
	}

	@GetMapping("/v1/models/{model}")
	Map<String, Object> status(@PathVariable String model) {
		return statusOf(this.registry.status(model));
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
		return statusOf(statuses);
	}

	@GetMapping("/v1/models/{model}/metadata")
	Map<String, Object> metadata(@PathVariable String model) {
		return metadataOf(this.registry.serving(model, null));
	}

	@GetMapping("/v1/models/{model}/versions/{version}/metadata")
	Map<String, Object> metadata(@PathVariable String model, @PathVariable long version) {
		return metadataOf(this.registry.serving(model, version));
	}

	private Mono<ResponseEntity<Map<String, Object>>> predict(String model, Long version, ServerWebExchange exchange) {
		return Mono.fromCallable(() -> ApiHeaders.requestOptions(exchange, this.clients))
			.flatMap((options) -> RequestBodies
				.json(exchange.getRequest(), this.policies.forModel(model).limits().maxBodySize())
				.flatMap((body) -> predict(model, version, body, options)));
	}

	private Mono<ResponseEntity<Map<String, Object>>> predict(String model, Long version, JsonNode body,
			RequestOptions options) {
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
			List<String> texts = Predictions.texts(payload);
			if (texts != null) {
				return this.inference.predictText(model, version, texts, options).map((result) -> {
					List<Object> predictions = result.predictions().stream().map(Predictions::render).toList();
					return Predictions.respond(result, Map.of(rows ? "predictions" : "outputs", predictions));
				});
			}
			SignatureSpec spec = signatureSpec(model, version, signature);
			Map<String, HostTensor> tensors = rows ? rowTensors(spec, payload) : columnTensors(spec, payload);
			return this.inference.predictTensors(model, version, signature, tensors, List.of(), options)
				.map((result) -> withVersion(result.version(), rows ? rowOutputs(result) : columnOutputs(result)));
		});
	}

	private SignatureSpec signatureSpec(String model, Long version, String signature) {
		SignatureSpec spec = this.registry.serving(model, version).signature(signature);
		if (spec == null) {
			throw new InvalidInputException(Rule.UNKNOWN_SIGNATURE,
					"Model '" + model + "' has no signature '" + signature + "'");
		}
		return spec;
	}

	private static String signatureName(JsonNode body) {
		JsonNode name = body.get("signature_name");
		if (name == null || name.isNull()) {
			return Predictions.DEFAULT_SIGNATURE;
		}
		if (!name.isString()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "'signature_name' must be a string");
		}
		return name.stringValue();
	}

	private static Map<String, HostTensor> rowTensors(SignatureSpec signature, JsonNode instances) {
		Map<String, List<JsonNode>> columns = new LinkedHashMap<>();
		for (JsonNode instance : instances) {
			if (!instance.isObject()) {
				throw new InvalidInputException(Rule.INSTANCE_TYPE,
						"Each instance must be a string (text) or an object of named inputs, found "
								+ instance.getNodeType());
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
			TensorSpec spec = Predictions.inputSpec(signature, name);
			tensors.put(name,
					JsonTensors.fromNested(name, JsonNodeFactory.instance.arrayNode().addAll(values), spec.datatype()));
		});
		return tensors;
	}

	private static Map<String, HostTensor> columnTensors(SignatureSpec signature, JsonNode inputs) {
		if (!inputs.isObject() || inputs.isEmpty()) {
			throw new InvalidInputException(Rule.INSTANCE_TYPE,
					"'inputs' must be text (a string or array of strings) or an object of named tensors");
		}
		Map<String, HostTensor> tensors = new LinkedHashMap<>();
		for (Map.Entry<String, JsonNode> input : inputs.properties()) {
			TensorSpec spec = Predictions.inputSpec(signature, input.getKey());
			tensors.put(input.getKey(), JsonTensors.fromNested(input.getKey(), input.getValue(), spec.datatype()));
		}
		return tensors;
	}

	private static Map<String, Object> rowOutputs(TensorResult result) {
		int batch = (int) result.outputs().values().iterator().next().shape()[0];
		List<Object> predictions = new ArrayList<>(batch);
		for (int i = 0; i < batch; i++) {
			Map<String, Object> prediction = new LinkedHashMap<>();
			for (Map.Entry<String, HostTensor> output : result.outputs().entrySet()) {
				prediction.put(output.getKey(), JsonTensors.row(output.getValue(), i));
			}
			predictions.add(prediction);
		}
		return Map.of("predictions", predictions);
	}

	private static Map<String, Object> columnOutputs(TensorResult result) {
		Map<String, Object> outputs = new LinkedHashMap<>();
		result.outputs().forEach((name, tensor) -> outputs.put(name, JsonTensors.toNested(tensor)));
		return Map.of("outputs", outputs);
	}

	private static ResponseEntity<Map<String, Object>> withVersion(long version, Map<String, Object> body) {
		return ResponseEntity.ok().header(ApiHeaders.MODEL_VERSION, Long.toString(version)).body(body);
	}

	private static Map<String, Object> statusOf(List<VersionStatus> statuses) {
		List<Object> versions = statuses.stream().map((status) -> {
			Map<String, Object> json = new LinkedHashMap<>();
			json.put("version", Long.toString(status.version()));
			json.put("state", status.state().name());
			boolean failed = status.state() == ModelState.END && !status.error().isEmpty();
			json.put("status", Map.of("error_code", failed ? "UNKNOWN" : "OK", "error_message", status.error()));
			return (Object) json;
		}).toList();
		return Map.of("model_version_status", versions);
	}

	/** What the startup optimisation step applied and measured, and how batching runs. */
	private static Map<String, Object> runtimeOf(ServingVersion version) {
		OptimizationReport report = version.optimization();
		List<Object> steps = new ArrayList<>();
		for (OptimizationReport.Step step : report.steps()) {
			Map<String, Object> json = new LinkedHashMap<>();
			json.put("name", step.name());
			json.put("applied", step.applied());
			json.put("reference_batch_ms", Double.isNaN(step.millis()) ? null : round(step.millis()));
			json.put("speedup", Double.isNaN(step.speedup()) ? null : round(step.speedup()));
			json.put("note", step.note());
			steps.add(json);
		}
		BatchingOptions options = version.batchingOptions();
		Map<String, Object> batching = new LinkedHashMap<>();
		batching.put("max_batch_size", options.maxBatchSize());
		batching.put("max_queue_delay_ms", options.maxQueueDelay().toNanos() / 1e6);
		batching.put("queue_capacity", options.queueCapacity());
		batching.put("allowed_lengths", options.allowedLengths());
		batching.put("run_overhead_ms", round(report.overheadMillis()));
		batching.put("run_us_per_padded_token", round(report.microsPerToken()));
		Map<String, Object> runtime = new LinkedHashMap<>();
		runtime.put("instances", version.instances());
		runtime.put("precision", report.precision());
		runtime.put("precision_reason", report.precisionReason());
		runtime.put("optimization_steps", steps);
		runtime.put("warmup_shapes", report.warmupShapes());
		runtime.put("batching", batching);
		return runtime;
	}

	private static double round(double value) {
		return Math.round(value * 1000) / 1000.0;
	}

	private static Map<String, Object> metadataOf(ServingVersion version) {
		Map<String, Object> signatures = new LinkedHashMap<>();
		for (SignatureSpec signature : version.signatures()) {
			Map<String, Object> json = new LinkedHashMap<>();
			json.put("inputs", tensorInfos(signature.inputs()));
			json.put("outputs", tensorInfos(signature.outputs()));
			json.put("method_name", signature.methodName());
			signatures.put(signature.key(), json);
		}
		Map<String, Object> spec = new LinkedHashMap<>();
		spec.put("name", version.model());
		spec.put("signature_name", "");
		spec.put("version", Long.toString(version.version()));
		Map<String, Object> pipeline = new LinkedHashMap<>();
		pipeline.put("task", version.descriptor().task().name().toLowerCase(java.util.Locale.ROOT));
		pipeline.put("signature", version.descriptor().signature());
		pipeline.put("output", version.descriptor().output());
		pipeline.put("labels", version.descriptor().labels());
		pipeline.put("max_tokens", version.descriptor().maxTokens());
		pipeline.put("overflow", version.descriptor().overflow().name().toLowerCase(java.util.Locale.ROOT));
		Map<String, Object> metadata = new LinkedHashMap<>();
		metadata.put("signature_def", Map.of("signature_def", signatures));
		metadata.put("eino", Map.of("text_pipeline", pipeline, "runtime", runtimeOf(version)));
		return Map.of("model_spec", spec, "metadata", metadata);
	}

	private static Map<String, Object> tensorInfos(List<TensorSpec> tensors) {
		Map<String, Object> infos = new LinkedHashMap<>();
		for (TensorSpec tensor : tensors) {
			List<Object> dims = new ArrayList<>();
			for (long size : tensor.shape()) {
				dims.add(Map.of("size", Long.toString(size), "name", ""));
			}
			Map<String, Object> info = new LinkedHashMap<>();
			info.put("dtype", tensor.tensorFlowType());
			info.put("tensor_shape", Map.of("dim", dims, "unknown_rank", false));
			info.put("name", tensor.tensorName());
			infos.put(tensor.name(), info);
		}
		return infos;
	}

}
