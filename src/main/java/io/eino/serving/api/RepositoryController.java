package io.eino.serving.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

import io.eino.serving.error.Failure;
import io.eino.serving.model.ModelLifecycle;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.VersionStatus;
import io.eino.serving.repository.ModelRepository;
import reactor.core.publisher.Mono;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseBody;
import org.springframework.web.server.ServerWebExchange;

/**
 * Repository control on the management port, in the shape of Triton's model repository
 * extension: {@code POST /v2/repository/index}, {@code .../models/{m}/load} and
 * {@code .../models/{m}/unload}, plus {@code .../models/{m}/reload} (build every selected
 * version again and swap it in) and {@code /v2/repository/poll} (scan now).
 *
 * <p>
 * Deliberately not a {@code @RestController}: component scanning would put it on the
 * public port. {@link ManagementApiConfiguration} registers it in the management context
 * only.
 */
@RequestMapping("/v2/repository")
@ResponseBody
class RepositoryController {

	private final ModelLifecycle lifecycle;

	private final ModelRegistry registry;

	RepositoryController(ModelLifecycle lifecycle, ModelRegistry registry) {
		this.lifecycle = lifecycle;
		this.registry = registry;
	}

	/**
	 * Every model of the repository and every version directory, with its state (READY,
	 * LOADING, UNLOADING, UNAVAILABLE) and the reason when it is not ready; with
	 * {@code {"ready": true}}, the ready ones only.
	 */
	@PostMapping("/index")
	List<Map<String, Object>> index(@RequestBody(required = false) Map<String, Object> body) {
		boolean readyOnly = body != null && Boolean.TRUE.equals(body.get("ready"));
		List<Map<String, Object>> entries = new ArrayList<>();
		for (String model : this.lifecycle.knownModels()) {
			entries.addAll(entries(model));
		}
		return readyOnly ? entries.stream().filter((entry) -> "READY".equals(entry.get("state"))).toList() : entries;
	}

	@PostMapping("/models/{model}/load")
	Mono<ResponseEntity<Object>> load(@PathVariable String model, ServerWebExchange exchange) {
		return outcome(model, this.lifecycle.load(model), exchange);
	}

	@PostMapping("/models/{model}/reload")
	Mono<ResponseEntity<Object>> reload(@PathVariable String model, ServerWebExchange exchange) {
		return outcome(model, this.lifecycle.reload(model), exchange);
	}

	@PostMapping("/models/{model}/unload")
	Mono<ResponseEntity<Object>> unload(@PathVariable String model, ServerWebExchange exchange) {
		return Mono.fromFuture(this.lifecycle.unload(model))
			.onErrorMap(CompletionException.class, Throwable::getCause)
			.then(Mono.fromSupplier(() -> ResponseEntity.ok((Object) entries(model))));
	}

	@PostMapping("/poll")
	Mono<List<Map<String, Object>>> poll() {
		return Mono.fromFuture(this.lifecycle.poll()).then(Mono.fromSupplier(() -> index(null)));
	}

	/**
	 * The model's entries when a version serves; otherwise the problem of the build that
	 * failed (already counted and logged by the lifecycle, so not counted again here).
	 */
	private Mono<ResponseEntity<Object>> outcome(String model, CompletableFuture<Boolean> result,
			ServerWebExchange exchange) {
		return Mono.fromFuture(result).onErrorMap(CompletionException.class, Throwable::getCause).map((serving) -> {
			RuntimeException failure = this.lifecycle.lastFailure(model);
			if (serving || failure == null) {
				return ResponseEntity.ok((Object) entries(model));
			}
			Failure classified = Failure.of(failure);
			return ResponseEntity.status(classified.status())
				.body((Object) ProblemHandler.problemOf(classified, exchange));
		});
	}

	private List<Map<String, Object>> entries(String model) {
		List<Map<String, Object>> entries = new ArrayList<>();
		boolean served = this.lifecycle.serves(model) && this.registry.contains(model);
		Map<Long, VersionStatus> statuses = served ? this.registry.status(model)
			.stream()
			.collect(Collectors.toMap(VersionStatus::version, (status) -> status)) : Map.of();
		Set<Long> listed = new java.util.HashSet<>();
		for (ModelRepository.Version version : this.lifecycle.repository().versions(model)) {
			listed.add(version.version());
			VersionStatus status = statuses.get(version.version());
			if (status != null) {
				entries.add(entry(model, status));
			}
			else if (!version.ready()) {
				entries.add(entry(model, version.version(), "UNAVAILABLE", version.problem()));
			}
			else {
				entries.add(entry(model, version.version(), "UNAVAILABLE", served ? "not selected by the version policy"
						: "the model is not served; POST /v2/repository/models/" + model + "/load"));
			}
		}
		statuses.values()
			.stream()
			.filter((status) -> !listed.contains(status.version()))
			.forEach((status) -> entries.add(entry(model, status)));
		return entries;
	}

	private static Map<String, Object> entry(String model, VersionStatus status) {
		String state = switch (status.state()) {
			case AVAILABLE -> "READY";
			case LOADING -> "LOADING";
			case UNLOADING -> "UNLOADING";
			case END -> "UNAVAILABLE";
		};
		return entry(model, status.version(), state, status.error());
	}

	private static Map<String, Object> entry(String model, long version, String state, String reason) {
		Map<String, Object> entry = new LinkedHashMap<>();
		entry.put("name", model);
		entry.put("version", (version > 0) ? Long.toString(version) : "");
		entry.put("state", state);
		entry.put("reason", reason);
		return entry;
	}

}
