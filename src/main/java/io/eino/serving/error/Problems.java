package io.eino.serving.error;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The members of an RFC 9457 problem for a failure, for the places that write one without
 * Spring's {@code ProblemDetail} (the management port's security and actuator endpoints):
 * the same members the API's problems carry.
 */
public final class Problems {

	/** The prefix of every problem's {@code type}, followed by the rule's slug. */
	public static final String TYPE_PREFIX = "urn:eino:problem:";

	private Problems() {
	}

	/**
	 * @param failure the rule and its detail
	 * @param instance the request's path
	 * @param traceId the request's trace id, or null where the endpoint cannot see it
	 */
	public static Map<String, Object> body(Failure failure, String instance, @Nullable String traceId) {
		Rule rule = failure.rule();
		Map<String, Object> problem = new LinkedHashMap<>();
		problem.put("type", TYPE_PREFIX + rule.slug());
		problem.put("title", rule.title());
		problem.put("status", rule.status());
		problem.put("detail", failure.detail());
		problem.put("instance", instance);
		problem.put("error", failure.detail());
		problem.put("tier", rule.tier().name().toLowerCase(Locale.ROOT));
		if (traceId != null) {
			problem.put("traceId", traceId);
		}
		return problem;
	}

}
