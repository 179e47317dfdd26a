package io.eino.serving.api;

import java.util.Locale;

import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.ErrorTier;
import io.eino.serving.inference.TextResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.observability.DefaultSignalListener;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * The access log (docs/operations.md, "Logs"): one line per inference request (one the
 * admission door found on an inference route) on the {@code eino.access} logger, however
 * it ends (answered, refused at the door, failed, or the client went away), with the
 * key-value pairs {@code model}, {@code version}, {@code status}, {@code outcome},
 * {@code tier}, {@code latency_ms}, {@code queue_ms}, {@code batch_size} and
 * {@code client} (a hash of the client's identity, never the key or address itself), in
 * the request's trace. Never a text. The JSON profile writes the pairs as fields; the
 * plain console shows the message.
 */
@Component
class AccessLog implements WebFilter, Ordered {

	/** The logger the lines go to. */
	static final String LOGGER = "eino.access";

	private static final Logger access = LoggerFactory.getLogger(LOGGER);

	private static final String RESULT = AccessLog.class.getName() + ".result";

	private static final String TIER = AccessLog.class.getName() + ".tier";

	private final ClientResolver clients;

	AccessLog(ClientResolver clients) {
		this.clients = clients;
	}

	/** Before the admission door, so that its refusals are logged too. */
	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 5;
	}

	/** Records the result a text request was answered with. */
	static void answered(ServerWebExchange exchange, TextResult result) {
		exchange.getAttributes().put(RESULT, result);
	}

	/** Records the error tier of a request answered with a problem. */
	static void failed(ServerWebExchange exchange, ErrorTier tier) {
		exchange.getAttributes().put(TIER, tier);
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		if (!access.isInfoEnabled()) {
			return chain.filter(exchange);
		}
		long started = System.nanoTime();
		// tap, not doFinally: tap puts the request's trace in the thread's locals
		// while it runs, so the line carries its trace_id (context propagation is
		// limited to the operators that ask for it).
		return chain.filter(exchange).tap(() -> new DefaultSignalListener<>() {
			@Override
			public void doFinally(SignalType signal) {
				// The admission door names the model of an inference route.
				String model = exchange.getAttribute(AdmissionDoor.MODEL);
				if (model != null) {
					log(exchange, model, signal, started);
				}
			}
		});
	}

	private void log(ServerWebExchange exchange, String model, SignalType signal, long started) {
		double latencyMillis = Math.round((System.nanoTime() - started) / 1e4) / 100.0;
		HttpStatusCode code = exchange.getResponse().getStatusCode();
		int status = (signal == SignalType.CANCEL) ? 499 : (code != null) ? code.value() : 200;
		TextResult result = exchange.getAttribute(RESULT);
		ErrorTier tier = exchange.getAttribute(TIER);
		String outcome = (signal == SignalType.CANCEL) ? "cancelled"
				: (status >= 400) ? "error" : (result != null && result.degradation() != null) ? "degraded" : "ok";
		String version = exchange.getResponse().getHeaders().getFirst(ApiHeaders.MODEL_VERSION);
		String client;
		try {
			client = ClientResolver.sha256(ApiHeaders.client(exchange, this.clients).id()).substring(0, 16);
		}
		catch (RuntimeException ex) {
			client = "unknown";
		}
		access.atInfo()
			.addKeyValue("model", model)
			.addKeyValue("version", (version != null) ? version : "none")
			.addKeyValue("status", status)
			.addKeyValue("outcome", outcome)
			.addKeyValue("tier", (tier != null) ? tier.name().toLowerCase(Locale.ROOT) : "none")
			.addKeyValue("latency_ms", latencyMillis)
			.addKeyValue("queue_ms", (result != null) ? Math.round(result.queueNanos() / 1e4) / 100.0 : 0.0)
			.addKeyValue("batch_size", (result != null) ? result.batchSize() : 0)
			.addKeyValue("client", client)
			.log("{} {} {} {} ms", exchange.getRequest().getMethod(), exchange.getRequest().getPath().value(), status,
					latencyMillis);
	}

}
