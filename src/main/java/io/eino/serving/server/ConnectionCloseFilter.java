package io.eino.serving.server;

import java.util.concurrent.atomic.AtomicBoolean;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Adds {@code Connection: close} to a response when the connection should not carry
 * another request: while the service drains for shutdown ({@link Drain}), and when the
 * request's body was refused without being read whole (a 413 for a declared size, a 401
 * before the body): the unread rest would otherwise be taken for the next request, or be
 * waited for. Reactor Netty closes the connection after such a response.
 */
final class ConnectionCloseFilter implements WebFilter, Ordered {

	private final Drain drain;

	ConnectionCloseFilter(Drain drain) {
		this.drain = drain;
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		ServerHttpRequest request = exchange.getRequest();
		boolean hasBody = request.getHeaders().getContentLength() > 0
				|| request.getHeaders().containsHeader(HttpHeaders.TRANSFER_ENCODING);
		AtomicBoolean bodyRead = new AtomicBoolean(!hasBody);
		exchange.getResponse().beforeCommit(() -> {
			if (this.drain.isDraining() || !bodyRead.get()) {
				exchange.getResponse().getHeaders().set(HttpHeaders.CONNECTION, "close");
			}
			return Mono.empty();
		});
		if (!hasBody) {
			return chain.filter(exchange);
		}
		ServerHttpRequest tracked = new ServerHttpRequestDecorator(request) {

			@Override
			public Flux<DataBuffer> getBody() {
				return super.getBody().doOnComplete(() -> bodyRead.set(true));
			}

		};
		return chain.filter(exchange.mutate().request(tracked).build());
	}

}
