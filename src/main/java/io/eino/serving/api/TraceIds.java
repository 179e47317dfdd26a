package io.eino.serving.api;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;

import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.server.ServerWebExchange;

/**
 * The trace id a response reports: the W3C {@code traceparent} trace id when the caller
 * sent one, else the id of the trace the service started for the request (the one its log
 * lines and spans carry, docs/operations.md, "Traces"), else, with tracing off, the
 * server's request id.
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
		return ServerRequestObservationContext.findCurrent(exchange.getAttributes())
			.map(TraceIds::traceId)
			.filter((traceId) -> !traceId.isEmpty() && !traceId.matches("0+"))
			.orElseGet(() -> exchange.getRequest().getId());
	}

	private static String traceId(ServerRequestObservationContext observation) {
		TracingObservationHandler.TracingContext tracing = observation
			.get(TracingObservationHandler.TracingContext.class);
		Span span = (tracing != null) ? tracing.getSpan() : null;
		return (span != null) ? span.context().traceId() : "";
	}

}
