package io.eino.serving.api;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The shapes of the public API's bodies, for its OpenAPI document only
 * ({@link ApiDocumentation}): the controllers read and write JSON trees, whose rules are
 * in docs/protocols.md and docs/errors.md.
 */
final class ApiSchemas {

	private ApiSchemas() {
	}

	@Schema(name = "TfServingPredictRequest",
			description = "TF Serving's predict request: exactly one of instances (row format) or inputs (columnar). "
					+ "Text models take strings (or {\"b64\": …}); other signatures take their named tensors.")
	record PredictRequest(
			@JsonProperty("signature_name") @Schema(defaultValue = "serving_default") String signatureName,
			@Schema(description = "One entry per row: a string, a value of the single input, or an object of named inputs",
					example = "[\"What a wonderful film\"]") List<Object> instances,
			@Schema(description = "Named tensors as nested arrays, a tensor of the single input, or text") Object inputs) {
	}

	@Schema(name = "TfServingPredictResponse",
			description = "predictions (row format) or outputs (columnar); header Eino-Model-Version names the version")
	record PredictResponse(List<Object> predictions, Object outputs) {
	}

	@Schema(name = "TfServingExamplesRequest", description = "TF Serving's classify and regress request")
	record ExamplesRequest(@JsonProperty("signature_name") String signatureName,
			@Schema(description = "Features every example gets") Map<String, Object> context,
			@Schema(description = "tf.Example features: a string or {\"b64\"} (bytes), an integer (int64), any other "
					+ "number (float), or an array of one kind",
					example = "[{\"text\": \"What a wonderful film\"}]") List<Map<String, Object>> examples) {
	}

	@Schema(name = "TfServingClassifyResponse", description = "Per example, [label, score] per class")
	record ClassifyResponse(List<List<List<Object>>> results) {
	}

	@Schema(name = "TfServingRegressResponse", description = "One value per example")
	record RegressResponse(List<Float> results) {
	}

	@Schema(name = "KServeExplainResponse",
			description = "Per text: its label, score and each word's weight (the score lost without the word)")
	record ExplainResponse(List<Map<String, Object>> explanations) {
	}

	@Schema(name = "ModelStatus", description = "TF Serving's model status, with KServe V1's name and ready")
	record ModelStatus(String name, boolean ready,
			@JsonProperty("model_version_status") List<Map<String, Object>> modelVersionStatus) {
	}

	@Schema(name = "ModelList", description = "KServe V1's list of the served models")
	record ModelList(List<String> models) {
	}

	@Schema(name = "OipTensor", description = "An Open Inference Protocol tensor: data is flat, row-major")
	record Tensor(String name, @Schema(allowableValues = {
			"BOOL", "UINT8", "UINT16", "INT32", "INT64", "FP16", "BF16", "FP32", "FP64", "BYTES" }) String datatype,
			List<Long> shape, List<Object> data, Map<String, Object> parameters){
	}

	@Schema(name = "OipRequestedOutput")
	record RequestedOutput(String name) {
	}

	@Schema(name = "OipInferenceRequest",
			description = "One BYTES input to a text model is text; otherwise the signature of "
					+ "parameters.signature_name (default serving_default) runs on the named tensors")
	record InferRequest(String id, Map<String, Object> parameters, List<Tensor> inputs, List<RequestedOutput> outputs) {
	}

	@Schema(name = "OipInferenceResponse")
	record InferResponse(@JsonProperty("model_name") String modelName,
			@JsonProperty("model_version") String modelVersion, Object id, List<Tensor> outputs) {
	}

	@Schema(name = "OipTensorMetadata")
	record TensorMetadata(String name, String datatype, List<Long> shape) {
	}

	@Schema(name = "OipModelMetadata")
	record ModelMetadata(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
			List<TensorMetadata> outputs) {
	}

	@Schema(name = "OipServerMetadata")
	record ServerMetadata(String name, String version, List<String> extensions) {
	}

	@Schema(name = "Readiness")
	record Readiness(String name, Boolean ready, Boolean live) {
	}

	@Schema(name = "Problem",
			description = "RFC 9457 problem; type names the rule (urn:eino:problem:<rule>), error repeats detail for "
					+ "TF Serving and Open Inference Protocol clients")
	record Problem(String type, String title, int status, String detail, String instance, String error,
			@Schema(allowableValues = {
					"input", "capacity", "model", "system" }) String tier,
			String traceId){
	}

}
