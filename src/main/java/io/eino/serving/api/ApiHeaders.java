package io.eino.serving.api;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.validation.InvalidInputException;

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

	/** A request's priority, -9 to 9 (default 0): higher runs first. */
	static final String PRIORITY = "Eino-Priority";

	private static final long MAX_TIMEOUT_MILLIS = 600_000;

	private static final int MAX_PRIORITY = 9;

	private ApiHeaders() {
	}

	/** Who a client is, for rate limits and plugins, when it sends no API key. */
	static final String API_KEY = "X-Api-Key";

	/** Set on a degraded answer: {@code previous-version} or {@code fallback-answer}. */
	static final String DEGRADED = "Eino-Degraded";

	/**
	 * What a request asks of scheduling, and who sent it: {@code key:} and a hash of its
	 * {@code X-Api-Key} (the key itself is never kept), else {@code addr:} and its remote
	 * address.
	 */
	static RequestOptions requestOptions(ServerWebExchange exchange) {
		HttpHeaders headers = exchange.getRequest().getHeaders();
		Duration timeout = null;
		String timeoutValue = headers.getFirst(TIMEOUT_MILLIS);
		if (timeoutValue != null) {
			long millis = parse(TIMEOUT_MILLIS, timeoutValue, 1, MAX_TIMEOUT_MILLIS);
			timeout = Duration.ofMillis(millis);
		}
		int priority = BatchTask.NORMAL_PRIORITY;
		String priorityValue = headers.getFirst(PRIORITY);
		if (priorityValue != null) {
			priority = (int) parse(PRIORITY, priorityValue, -MAX_PRIORITY, MAX_PRIORITY);
		}
		return new RequestOptions(timeout, priority, client(exchange), TraceIds.of(exchange));
	}

	static String client(ServerWebExchange exchange) {
		String key = exchange.getRequest().getHeaders().getFirst(API_KEY);
		if (key != null && !key.isBlank()) {
			try {
				byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.strip().getBytes(StandardCharsets.UTF_8));
				return "key:" + HexFormat.of().formatHex(hash, 0, 8);
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException("SHA-256 is part of every Java runtime", ex);
			}
		}
		InetSocketAddress remote = exchange.getRequest().getRemoteAddress();
		return "addr:"
				+ ((remote != null && remote.getAddress() != null) ? remote.getAddress().getHostAddress() : "unknown");
	}

	private static long parse(String header, String value, long min, long max) {
		try {
			long parsed = Long.parseLong(value.trim());
			if (parsed >= min && parsed <= max) {
				return parsed;
			}
		}
		catch (NumberFormatException ex) {
			// reported below
		}
		throw new InvalidInputException("invalid-header",
				"Header " + header + " must be a whole number from " + min + " to " + max);
	}

}
