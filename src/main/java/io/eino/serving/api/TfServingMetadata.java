package io.eino.serving.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.model.ModelState;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.model.QueueSettings;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.model.VersionStatus;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.OpProfile;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;

/**
 * The bodies of TensorFlow Serving's model status and metadata APIs ({@code GET
 * /v1/models/{m}}, {@code .../metadata}) for {@link TfServingController}.
 */
final class TfServingMetadata {

	/** How many op types each optimisation step's profile lists, most time first. */
	private static final int OP_TYPES = 10;

	private TfServingMetadata() {
	}

	/** The model status API's body. */
	static Map<String, Object> status(List<VersionStatus> statuses) {
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
			json.put("batches_ms", Double.isNaN(step.millis()) ? null : round(step.millis()));
			json.put("speedup", Double.isNaN(step.speedup()) ? null : round(step.speedup()));
			json.put("note", step.note());
			if (step.profile() != null) {
				json.put("op_time_ms", round(step.profile().millis()));
				json.put("nodes_run", step.profile().nodes());
				json.put("fused_nodes", step.profile().fusedNodes());
				List<Object> ops = new ArrayList<>();
				for (OpProfile.OpTime op : step.profile().top(OP_TYPES)) {
					ops.add(Map.of("op", op.op(), "nodes", op.nodes(), "ms", round(op.millis())));
				}
				json.put("op_time", ops);
			}
			steps.add(json);
		}
		QueueSettings options = version.queueSettings();
		Map<String, Object> batching = null;
		if (options != null) {
			batching = new LinkedHashMap<>();
			batching.put("max_batch_size", options.maxBatchSize());
			batching.put("max_batch_tokens", options.maxBatchTokens());
			batching.put("max_queue_delay_ms", options.maxQueueDelay().toNanos() / 1e6);
			batching.put("queue_capacity", options.queueCapacity());
			batching.put("allowed_lengths", options.allowedLengths());
			batching.put("run_overhead_ms", round(report.overheadMillis()));
			batching.put("run_us_per_padded_token", round(report.microsPerToken()));
			batching.put("run_us_per_real_token", round(report.microsPerRealToken()));
		}
		Map<String, Object> runtime = new LinkedHashMap<>();
		runtime.put("instances", version.instances());
		runtime.put("precision", report.precision());
		runtime.put("precision_reason", report.precisionReason());
		runtime.put("optimization_steps", steps);
		runtime.put("optimization_steps_timed", report.stepsMeasured());
		runtime.put("warmup_shapes", report.warmupShapes());
		runtime.put("batching", batching);
		return runtime;
	}

	private static double round(double value) {
		return Math.round(value * 1000) / 1000.0;
	}

	/** The model metadata API's body, with the service's own {@code eino} section. */
	static Map<String, Object> of(ServingVersion version) {
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
		Map<String, Object> pipeline = null;
		ModelDescriptor descriptor = version.descriptor();
		if (descriptor != null) {
			pipeline = new LinkedHashMap<>();
			pipeline.put("task", descriptor.task().name().toLowerCase(Locale.ROOT));
			pipeline.put("signature", descriptor.signature());
			pipeline.put("output", descriptor.output());
			pipeline.put("labels", descriptor.labels());
			pipeline.put("max_tokens", descriptor.maxTokens());
			pipeline.put("overflow", descriptor.overflow().name().toLowerCase(Locale.ROOT));
		}
		Map<String, Object> metadata = new LinkedHashMap<>();
		metadata.put("signature_def", Map.of("signature_def", signatures));
		Map<String, Object> eino = new LinkedHashMap<>();
		eino.put("text_pipeline", pipeline);
		eino.put("runtime", runtimeOf(version));
		metadata.put("eino", eino);
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
