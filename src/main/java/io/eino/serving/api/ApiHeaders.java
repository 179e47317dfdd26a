package io.eino.serving.api;

import java.time.Duration;

import io.eino.serving.client.Client;
import io.eino.serving.client.ClientResolver;
import io.eino.serving.inference.RequestOptions;

import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Headers of the public API.
 */
final class ApiHeaders {

	/** The model version that computed an inference response. */
	static final String MODEL_VERSION = "Eino-Model-Version";

	/**
	 * A request's own deadline in milliseconds (1 to 600000): work not started by then is
	 * dropped with a 503.
	 */
	static final String TIMEOUT_MILLIS = "Eino-Timeout-Ms";

	/**
	 * A request's priority (default 0), honoured only for API keys granted a range:
	 * higher runs sooner, within a bounded lead.
	 */
	static final String PRIORITY = "Eino-Priority";

	private static final long MAX_TIMEOUT_MILLIS = 600_000;

	private ApiHeaders() {
	}

	/** The header of an API key. */
	static final String API_KEY = ClientResolver.API_KEY;

	/** Set on a degraded answer: {@code previous-version} or {@code fallback-answer}. */
	static final String DEGRADED = "Eino-Degraded";

	private static final String CLIENT = ApiHeaders.class.getName() + ".client";

	/**
	 * What a request asks of scheduling, and who sent it ({@link ClientResolver}). A
	 * priority is honoured only from a client granted a priority range, and must lie in
	 * it; from anyone else the header is ignored.
	 */
	static RequestOptions requestOptions(ServerWebExchange exchange, ClientResolver clients) {
		HttpHeaders headers = exchange.getRequest().getHeaders();
		Client client = client(exchange, clients);
		Duration timeout = null;
		String timeoutValue = headers.getFirst(TIMEOUT_MILLIS);
		if (timeoutValue != null) {
			long millis = RequestOptions.bounded(TIMEOUT_MILLIS, timeoutValue, 1, MAX_TIMEOUT_MILLIS);
			timeout = Duration.ofMillis(millis);
		}
		int priority = RequestOptions.NORMAL_PRIORITY;
		String priorityValue = headers.getFirst(PRIORITY);
		if (priorityValue != null && client.grantedPriorities()) {
			priority = (int) RequestOptions.bounded(PRIORITY, priorityValue, client.minPriority(),
					client.maxPriority());
		}
		return new RequestOptions(timeout, priority, client.id(), client.rateLimit(), TraceIds.of(exchange));
	}

	/**
	 * Who sent the request, resolved once per exchange (the admission door, the
	 * controller and the access log all ask; an API key is hashed each time it is
	 * resolved).
	 * @throws io.eino.serving.client.ApiKeyException for a missing or unknown key
	 */
	static Client client(ServerWebExchange exchange, ClientResolver clients) {
		Client client = exchange.getAttribute(CLIENT);
		if (client == null) {
			client = clients.resolve(exchange.getRequest().getRemoteAddress(), exchange.getRequest().getHeaders());
			exchange.getAttributes().put(CLIENT, client);
		}
		return client;
	}

}
