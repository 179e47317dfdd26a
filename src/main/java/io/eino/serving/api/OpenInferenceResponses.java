package io.eino.serving.api;

import java.util.LinkedHashMap;
import java.util.Map;

import io.eino.serving.inference.OpenInferenceMetadata;

/**
 * The tensors of Open Inference Protocol v2 responses and model metadata, as JSON
 * objects, for {@link OpenInferenceController}.
 */
final class OpenInferenceResponses {

	private OpenInferenceResponses() {
	}

	static Map<String, Object> tensor(String name, String datatype, long[] shape, Object data) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("name", name);
		json.put("datatype", datatype);
		json.put("shape", shape);
		json.put("data", data);
		return json;
	}

	static Map<String, Object> tensorMetadata(OpenInferenceMetadata.Tensor tensor) {
		return tensorMetadata(tensor.name(), tensor.datatype(), tensor.shape());
	}

	static Map<String, Object> tensorMetadata(String name, String datatype, long[] shape) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("name", name);
		json.put("datatype", datatype);
		json.put("shape", shape);
		return json;
	}

}
