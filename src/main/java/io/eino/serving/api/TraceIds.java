package io.eino.serving.api;

import org.springframework.web.server.ServerWebExchange;

/**
 * The trace id a response reports: the W3C {@code traceparent} trace id when the caller
 * sent one, else the server's request id.
 */
final class TraceIds {

	private TraceIds() {
	}

	static String of(ServerWebExchange exchange) {
		String traceparent = exchange.getRequest().getHeaders().getFirst("traceparent");
		if (traceparent != null) {
			String[] parts = traceparent.split("-");
			if (parts.length == 4 && parts[1].matches("[0-9a-f]{32}")) {
				return parts[1];
			}
		}
		return exchange.getRequest().getId();
	}

}
