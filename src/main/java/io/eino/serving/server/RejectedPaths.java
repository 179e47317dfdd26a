package io.eino.serving.server;

import java.nio.charset.StandardCharsets;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Problems;
import io.eino.serving.error.Rule;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.web.server.ServerWebExchange;

/**
 * Answers a request that Spring Security's firewall refuses (a path that is not
 * normalized, such as {@code /../} or {@code //}, or that holds an encoded {@code /},
 * {@code .}, {@code %} or NUL) with a problem naming the rule {@code malformed-request},
 * on both ports, where the firewall would send a bare 400. The request never reaches a
 * route: such a path could name something else once decoded.
 */
final class RejectedPaths implements ServerExchangeRejectedHandler {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final ErrorMetrics errors;

	RejectedPaths(ErrorMetrics errors) {
		this.errors = errors;
	}

	@Override
	public Mono<Void> handle(ServerWebExchange exchange, ServerExchangeRejectedException rejected) {
		Failure failure = new Failure(Rule.MALFORMED_REQUEST,
				"The request path is refused: it is not normalized or holds an encoded '/', '.', '%' or NUL ("
						+ rejected.getMessage() + ")");
		this.errors.count(failure);
		// The path as sent is what was refused: it is not echoed back.
		byte[] body = JSON.writeValueAsString(Problems.body(failure, "", exchange.getRequest().getId()))
			.getBytes(StandardCharsets.UTF_8);
		ServerHttpResponse response = exchange.getResponse();
		response.setStatusCode(HttpStatus.BAD_REQUEST);
		response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
		DataBuffer buffer = response.bufferFactory().wrap(body);
		return response.writeWith(Mono.just(buffer));
	}

}
