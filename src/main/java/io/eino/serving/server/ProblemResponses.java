package io.eino.serving.server;

import java.util.List;

import io.eino.serving.error.Failure;
import io.eino.serving.error.Problems;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;

/**
 * Writes a problem straight to a response, for what answers before any controller runs
 * (filters, the security firewall and entry point): the status of its rule,
 * {@code application/problem+json} and {@link Problems#body}. The caller counts it and
 * sets any other header first.
 */
public final class ProblemResponses {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private ProblemResponses() {
	}

	/**
	 * @param instance the problem's {@code instance} (the request's path, or empty where
	 * the path itself is what was refused)
	 * @param traceId the request's trace id, or null
	 */
	public static Mono<Void> write(ServerWebExchange exchange, Failure failure, String instance, String traceId) {
		byte[] body = JSON.writeValueAsBytes(Problems.body(failure, instance, traceId));
		ServerHttpResponse response = exchange.getResponse();
		response.setStatusCode(HttpStatus.valueOf(failure.status()));
		response.getHeaders().setContentType(contentType(exchange.getRequest().getHeaders()));
		return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
	}

	/**
	 * A problem's content type: {@code application/json} where the request accepts that
	 * by name and not {@code application/problem+json} (KServe's client reads an error
	 * only from a response of exactly that type), else {@code application/problem+json}.
	 * The body is the same.
	 */
	public static MediaType contentType(HttpHeaders headers) {
		List<MediaType> accept;
		try {
			accept = headers.getAccept();
		}
		catch (InvalidMediaTypeException ex) {
			return MediaType.APPLICATION_PROBLEM_JSON;
		}
		boolean json = false;
		for (MediaType type : accept) {
			if (type.getQualityValue() > 0 && type.isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
					&& !type.isWildcardType() && !type.isWildcardSubtype()) {
				return MediaType.APPLICATION_PROBLEM_JSON;
			}
			json |= type.getQualityValue() > 0 && type.getType().equals("application")
					&& type.getSubtype().equals("json");
		}
		return json ? MediaType.APPLICATION_JSON : MediaType.APPLICATION_PROBLEM_JSON;
	}

	/** What Reactor Netty says when a response is written after one was sent. */
	private static final String ALREADY_SENT = "Status and headers already sent";

	/**
	 * Whether Reactor Netty or Netty answered the request itself, under the application,
	 * and {@code error} comes of that: the connection's decoder failed (a body that could
	 * not be decoded, answered with its problem by {@link DecodeFailures}), or the
	 * failure is the application's own answer colliding with one already sent (Netty's
	 * 417 for an {@code Expect} it does not know). What the handler still running then
	 * writes cannot reach the client, and fails.
	 */
	public static boolean answeredBelow(ServerWebExchange exchange, Throwable error) {
		try {
			return ServerHttpResponseDecorator
				.getNativeResponse(exchange.getResponse()) instanceof HttpServerResponse reactor
					&& reactor.hasSentHeaders()
					&& (error instanceof IllegalStateException && ALREADY_SENT.equals(error.getMessage())
							|| reactor instanceof Connection connection
									&& DecodeFailures.decodeFailed(connection.channel()));
		}
		catch (IllegalArgumentException | IllegalStateException ex) {
			// Not a Reactor Netty response (a test's mock exchange).
			return false;
		}
	}

}
