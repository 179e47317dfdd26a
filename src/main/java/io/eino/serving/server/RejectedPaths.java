package io.eino.serving.server;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Rule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.web.server.ServerWebExchange;

/**
 * Answers a request that Spring Security's firewall refuses (above all a path that is not
 * normalized, such as {@code /../} or {@code //}, or that holds an encoded {@code /},
 * {@code .}, {@code %} or NUL; also a method, header, parameter or host it does not
 * allow) with a problem naming the rule {@code malformed-request}, on both ports, where
 * the firewall would send a bare 400. The request never reaches a route. What the
 * firewall objected to is logged at debug, not echoed back: it is the client's own bytes.
 */
final class RejectedPaths implements ServerExchangeRejectedHandler {

	private static final Logger logger = LoggerFactory.getLogger(RejectedPaths.class);

	private final ErrorMetrics errors;

	RejectedPaths(ErrorMetrics errors) {
		this.errors = errors;
	}

	@Override
	public Mono<Void> handle(ServerWebExchange exchange, ServerExchangeRejectedException rejected) {
		Failure failure = new Failure(Rule.MALFORMED_REQUEST, "The request was refused before any route: its path is "
				+ "not normalized or holds an encoded '/', '.', '%' or NUL, or its method, a header or a parameter "
				+ "holds what the server does not accept");
		this.errors.count(failure);
		logger.debug("Firewall refusal: {}", rejected.getMessage());
		if (exchange.getResponse().isCommitted()) {
			return Mono.empty();
		}
		// The path as sent is what was refused: the instance is left empty.
		return ProblemResponses.write(exchange, failure, "", exchange.getRequest().getId());
	}

}
