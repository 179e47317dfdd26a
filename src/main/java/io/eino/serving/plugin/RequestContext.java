package io.eino.serving.plugin;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a plugin knows of one request.
 *
 * @param model the model the request names
 * @param version the version it pins, or null for the serving one
 * @param client who sent it: {@code key:<hash of the X-Api-Key>} or
 * {@code addr:<remote address>}
 * @param traceId the request's trace id (as in its problem responses)
 * @param startedNanos {@link System#nanoTime()} when the request reached the service
 * @param attributes values plugins hand each other for this request
 */
public record RequestContext(String model, Long version, String client, String traceId, long startedNanos,
		Map<String, Object> attributes) {

	public RequestContext(String model, Long version, String client, String traceId) {
		this(model, version, client, traceId, System.nanoTime(), new ConcurrentHashMap<>());
	}

}
