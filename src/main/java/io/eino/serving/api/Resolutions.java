package io.eino.serving.api;

import java.util.function.Function;

import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.ResolvedRequest;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.web.server.ServerWebExchange;

/**
 * Where a request of the HTTP API gets its resolution: the one the admission door made
 * for the exchange when it resolved the same model and version (the door holds it until
 * the exchange is over), else a fresh one for the request. Either way the registry is
 * asked once per request.
 */
final class Resolutions {

	/** The exchange attribute that holds the door's resolution. */
	static final String ATTRIBUTE = Resolutions.class.getName();

	private Resolutions() {
	}

	static <T> Mono<T> run(ServerWebExchange exchange, InferenceService inference, String model, @Nullable Long version,
			Function<ResolvedRequest, Mono<T>> request) {
		ResolvedRequest door = exchange.getAttribute(ATTRIBUTE);
		if (door != null && door.model().equals(model)
				&& ((version == null) ? !door.pinned() : door.pinned() && door.version() == version)) {
			return Mono.defer(() -> request.apply(door));
		}
		return inference.resolved(model, version, request);
	}

}
