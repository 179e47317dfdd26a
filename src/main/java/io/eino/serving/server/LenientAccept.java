package io.eino.serving.server;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Ignores an {@code Accept} header that is empty or does not parse, as if the request had
 * none (any representation is then acceptable, RFC 9110 §12.5.1), as TF Serving and
 * Triton ignore {@code Accept} altogether. Spring's content negotiation would otherwise
 * refuse the request and then fail again writing the problem that says so, answering a
 * problem content type with an empty body; and Spring Boot's Prometheus endpoint fails on
 * an empty one.
 */
final class LenientAccept implements WebFilter, Ordered {

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		if (parses(exchange.getRequest().getHeaders().get(HttpHeaders.ACCEPT))) {
			return chain.filter(exchange);
		}
		return chain.filter(exchange.mutate()
			.request((request) -> request.headers((headers) -> headers.remove(HttpHeaders.ACCEPT)))
			.build());
	}

	static boolean parses(java.util.List<String> accept) {
		if (accept == null) {
			return true;
		}
		try {
			return !MediaType.parseMediaTypes(accept).isEmpty();
		}
		catch (InvalidMediaTypeException ex) {
			return false;
		}
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
