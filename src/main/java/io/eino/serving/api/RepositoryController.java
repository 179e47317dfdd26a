package io.eino.serving.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

import io.eino.serving.error.ErrorTier;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Rule;
import io.eino.serving.model.lifecycle.ModelLifecycle;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.VersionStatus;
import io.eino.serving.repository.ModelRepository;
import io.eino.serving.validation.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.codec.CodecException;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebInputException;

/**
 * Repository control on the management port, in the shape of Triton's model repository
 * extension: {@code POST /v2/repository/index}, {@code .../models/{m}/load} and
 * {@code .../models/{m}/unload}, plus {@code .../models/{m}/reload} (build every selected
 * version again and swap it in; {@code ?retune=true} runs the startup step again instead
 * of reusing the stored plan) and {@code /v2/repository/poll} (scan now).
 *
 * <p>
 * Functional routes rather than a {@code @RestController}: component scanning would put a
 * controller on the public port, while {@link ManagementApiConfiguration} registers these
 * in the management context only.
 */
class RepositoryController {

	private static final Logger logger = LoggerFactory.getLogger(RepositoryController.class);

	private final ModelLifecycle lifecycle;

	private final ModelRegistry registry;

	RepositoryController(ModelLifecycle lifecycle, ModelRegistry registry) {
		this.lifecycle = lifecycle;
		this.registry = registry;
	}

	RouterFunction<ServerResponse> routes() {
		return RouterFunctions.route()
			.POST("/v2/repository/index", this::index)
			.POST("/v2/repository/poll",
					(request) -> answer(request,
							Mono.fromFuture(this.lifecycle.poll()).then(Mono.fromSupplier(() -> index(false)))))
			.POST("/v2/repository/models/{model}/load",
					(request) -> outcome(request, this.lifecycle.load(model(request))))
			.POST("/v2/repository/models/{model}/reload",
					(request) -> outcome(request,
							this.lifecycle.reload(model(request),
									request.queryParam("retune").map(Boolean::parseBoolean).orElse(false))))
			.POST("/v2/repository/models/{model}/unload",
					(request) -> answer(request,
							Mono.fromFuture(this.lifecycle.unload(model(request)))
								.then(Mono.fromSupplier(() -> entries(model(request))))))
			.build();
	}

	/**
	 * Every model of the repository and every version directory, with its state (READY,
	 * LOADING, UNLOADING, UNAVAILABLE) and the reason when it is not ready; with
	 * {@code {"ready": true}}, the ready ones only.
	 */
	private Mono<ServerResponse> index(ServerRequest request) {
		Mono<Boolean> readyOnly = request.bodyToMono(new ParameterizedTypeReference<Map<String, Object>>() {
		})
			.onErrorMap((ex) -> ex instanceof CodecException || ex instanceof ServerWebInputException,
					(ex) -> new InvalidInputException(Rule.MALFORMED_JSON,
							"The body of an index request is empty or a JSON object such as {\"ready\": true}"))
			.map((body) -> Boolean.TRUE.equals(body.get("ready")))
			.defaultIfEmpty(false);
		return answer(request, readyOnly.map(this::index));
	}

	private List<Map<String, Object>> index(boolean readyOnly) {
		List<Map<String, Object>> entries = new ArrayList<>();
		for (String model : this.lifecycle.knownModels()) {
			entries.addAll(entries(model));
		}
		return readyOnly ? entries.stream().filter((entry) -> "READY".equals(entry.get("state"))).toList() : entries;
	}

	private static String model(ServerRequest request) {
		return request.pathVariable("model");
	}

	/** 200 with the JSON body, or the problem of the failure. */
	private static Mono<ServerResponse> answer(ServerRequest request, Mono<?> body) {
		return body.flatMap((value) -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(value))
			.onErrorResume((ex) -> {
				Throwable cause = (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
				return problem(request, Failure.of(cause), cause);
			});
	}

	private static Mono<ServerResponse> problem(ServerRequest request, Failure failure, Throwable cause) {
		if (failure.tier() == ErrorTier.SYSTEM) {
			logger.error("Request {} {} failed (tier=system)", request.method(), request.path(), cause);
		}
		return problem(request, failure);
	}

	private static Mono<ServerResponse> problem(ServerRequest request, Failure failure) {
		return ServerResponse.status(failure.status())
			.contentType(MediaType.APPLICATION_PROBLEM_JSON)
			.bodyValue(ProblemHandler.problemOf(failure, request.exchange()));
	}

	/**
	 * The model's entries when a version serves; otherwise the problem of the build that
	 * failed (already counted and logged by the lifecycle, so not counted again here).
	 */
	private Mono<ServerResponse> outcome(ServerRequest request, CompletableFuture<Boolean> result) {
		String model = model(request);
		return answer(request, Mono.fromFuture(result).map((serving) -> {
			RuntimeException failure = this.lifecycle.lastFailure(model);
			if (!serving && failure != null) {
				throw failure;
			}
			return entries(model);
		}));
	}

	private List<Map<String, Object>> entries(String model) {
		List<Map<String, Object>> entries = new ArrayList<>();
		boolean served = this.lifecycle.serves(model) && this.registry.contains(model);
		Map<Long, VersionStatus> statuses = served ? this.registry.status(model)
			.stream()
			.collect(Collectors.toMap(VersionStatus::version, (status) -> status)) : Map.of();
		Set<Long> listed = new HashSet<>();
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
