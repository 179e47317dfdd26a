package io.eino.serving.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Drops, at DEBUG, what a request's handling fails with after Reactor Netty answered the
 * request itself ({@link ProblemResponses#answeredBelow}: its body could not be decoded,
 * and the client has its problem; or Netty answered an {@code Expect} it does not know).
 * The handler, still reading or writing, then fails with "status and headers already
 * sent", which Spring would log as a 500 at ERROR with a stack trace: a client could fill
 * the log with them.
 */
final class AnsweredBelow implements WebFilter, Ordered {

	private static final Logger logger = LoggerFactory.getLogger(AnsweredBelow.class);

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		return chain.filter(exchange).onErrorResume((ex) -> ProblemResponses.answeredBelow(exchange, ex), (ex) -> {
			logger.debug("{} {} was answered by the server before its handler failed: {}",
					exchange.getRequest().getMethod(), exchange.getRequest().getPath(), ex.toString());
			return Mono.empty();
		});
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
