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
 * another request: while the service drains for shutdown
 * ({@link Drain#closesConnections}), and when the request's body was refused without
 * being read whole and is too large to be drained (a 413 for a declared 1 GB, a chunked
 * body of unknown size): Reactor Netty would otherwise read and discard all of it before
 * the next request. A smaller unread body (a 413 for 10 MB, a 401 before the body) is
 * drained and the connection kept, so that a client still sending it reads its answer
 * instead of a reset. Reactor Netty closes the connection after a response that says
 * close.
 */
final class ConnectionCloseFilter implements WebFilter, Ordered {

	/** The largest unread body drained rather than the connection closed. */
	static final long MAX_DRAINED_BODY_BYTES = 16L * 1024 * 1024;

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
		long declared = request.getHeaders().getContentLength();
		boolean chunked = request.getHeaders().containsHeader(HttpHeaders.TRANSFER_ENCODING);
		boolean hasBody = declared > 0 || chunked;
		// Bodies small enough to drain count as read: only a large unread rest closes.
		AtomicBoolean bodyRead = new AtomicBoolean(!chunked && declared <= MAX_DRAINED_BODY_BYTES);
		exchange.getResponse().beforeCommit(() -> {
			if (this.drain.closesConnections() || !bodyRead.get()) {
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
				// A body that failed (too slow, over the size limit) is never drained.
				return super.getBody().doOnComplete(() -> bodyRead.set(true)).doOnError((ex) -> bodyRead.set(false));
			}

		};
		return chain.filter(exchange.mutate().request(tracked).build());
	}

}
