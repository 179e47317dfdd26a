package io.eino.serving.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.model.ModelRegistry;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * What clients of several protocols ask of the whole service at the root of the REST API:
 * KServe V1's liveness and the model list, in one body for KServe V1's clients and the
 * OpenAI API's.
 */
@RestController
class ModelListController {

	private final ModelRegistry registry;

	ModelListController(ModelRegistry registry) {
		this.registry = registry;
	}

	/** KServe V1's liveness, which its client's {@code is_server_live()} asks. */
	@GetMapping("/")
	Map<String, Object> alive() {
		return Map.of("status", "alive");
	}

	/**
	 * Every model this service serves, as KServe V1's clients read it ({@code models})
	 * and as the OpenAI API's do ({@code object: list}, {@code data[].id};
	 * {@code created} is when this service started).
	 */
	@GetMapping("/v1/models")
	Map<String, Object> models() {
		List<String> names = this.registry.models().stream().sorted().toList();
		long created = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime() / 1000;
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("models", names);
		body.put("object", "list");
		body.put("data", names.stream().map((name) -> {
			Map<String, Object> model = new LinkedHashMap<>();
			model.put("id", name);
			model.put("object", "model");
			model.put("created", created);
			model.put("owned_by", "eino-serving");
			return model;
		}).toList());
		return body;
	}

}
