package io.eino.serving.api;

import java.util.Collection;
import java.util.stream.Collectors;

import io.eino.serving.error.Failure;
import io.eino.serving.error.Rule;

import org.springframework.beans.TypeMismatchException;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;

/**
 * What was wrong with a request that Spring refused before a controller ran: the rule and
 * a detail that names the route, the method, the media types or the path segment at
 * fault, so that a client sees how to put it right rather than only a status.
 */
final class FrameworkRefusals {

	private FrameworkRefusals() {
	}

	/**
	 * Spring Boot 4.0's health endpoint fails with this, instead of answering 404, for a
	 * path that goes on below a name it does not know ({@code /actuator/health/a/b}).
	 */
	private static final String UNKNOWN_HEALTH_PATH = "'contributor' must not be null";

	/**
	 * The refusal of a path the health endpoint does not know but failed on, or null for
	 * any other failure.
	 */
	static Failure unknownHealthPath(Exception ex, ServerHttpRequest request) {
		if (ex instanceof IllegalStateException && UNKNOWN_HEALTH_PATH.equals(ex.getMessage())) {
			return new Failure(Rule.NOT_FOUND, "No health group or contributor at " + request.getPath().value());
		}
		return null;
	}

	static Failure of(Exception ex, HttpStatusCode status, ServerHttpRequest request) {
		String call = request.getMethod().name() + " " + request.getPath().value();
		if (ex instanceof MethodNotAllowedException refused) {
			return new Failure(Rule.METHOD_NOT_ALLOWED, call + ": this path takes "
					+ names(refused.getSupportedMethods()) + ", not " + refused.getHttpMethod());
		}
		if (ex instanceof NotAcceptableStatusException refused) {
			String accept = request.getHeaders().getFirst("Accept");
			return new Failure(Rule.NOT_ACCEPTABLE, call + " answers " + names(refused.getSupportedMediaTypes())
					+ ", none of which the Accept header allows (" + accept + ")");
		}
		if (ex instanceof UnsupportedMediaTypeStatusException) {
			return new Failure(Rule.UNSUPPORTED_MEDIA_TYPE, "Send the request body as application/json");
		}
		if (ex instanceof ServerWebInputException input && input.getCause() instanceof TypeMismatchException mismatch
				&& input.getMethodParameter() != null
				&& input.getMethodParameter().hasParameterAnnotation(PathVariable.class)) {
			return pathSegment(input.getMethodParameter(), mismatch.getValue());
		}
		Rule rule = Rule.ofFrameworkStatus(status.value());
		return new Failure(rule, switch (status.value()) {
			case 400 -> "The request could not be read: the body must be well-formed JSON of the documented shape";
			case 404 -> "No route serves " + call
					+ "; the routes are listed in the OpenAPI document at /v3/api-docs of the API port";
			case 413 -> "The request body is larger than eino.validation.max-body-size allows";
			default -> "The request was refused with HTTP status " + status.value();
		});
	}

	/**
	 * A path segment that is not of its variable's type: the model version, above all.
	 */
	private static Failure pathSegment(MethodParameter parameter, Object value) {
		String name = parameter.getParameterName();
		if ("version".equals(name)) {
			return new Failure(Rule.INVALID_VERSION, "'" + value
					+ "' is not a model version: versions are whole numbers, as in /v1/models/{model}/versions/5");
		}
		return new Failure(Rule.MALFORMED_REQUEST, "'" + value + "' is not a valid " + name + " in the path");
	}

	private static String names(Collection<?> values) {
		return values.stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
	}

}
