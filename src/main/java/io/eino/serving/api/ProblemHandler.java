package io.eino.serving.api;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.batching.BatchingException;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.ErrorTier;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Problems;
import io.eino.serving.error.Rule;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.ratelimit.RateLimitedException;
import io.eino.serving.server.ProblemResponses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.DisconnectedClientHelper;

/**
 * The one place where failures become RFC 9457 problems: {@code type} names the rule that
 * failed, {@code tier} the error tier, {@code traceId} the request. Never a stack trace.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

	private static final Logger logger = LoggerFactory.getLogger(ProblemHandler.class);

	/** When a request refused for capacity may be retried. */
	private static final String RETRY_AFTER_SECONDS = "1";

	private final ErrorMetrics errors;

	private final SystemErrorMonitor systemErrors;

	ProblemHandler(ErrorMetrics errors, SystemErrorMonitor systemErrors) {
		this.errors = errors;
		this.systemErrors = systemErrors;
	}

	/** Every failure of the service's own stages, classified by {@link Failure#of}. */
	@ExceptionHandler
	Mono<ResponseEntity<Object>> failure(Exception ex, ServerWebExchange exchange) {
		if (DisconnectedClientHelper.isClientDisconnectedException(ex)) {
			// The client went away while its answer was being written: normal, and there
			// is no one to answer. Not a failure of the service (docs/traffic.md).
			return Mono.empty();
		}
		if (ProblemResponses.answeredBelow(exchange, ex)) {
			// The server answered the request's undecodable body itself (a problem,
			// counted
			// there); whatever the handler failed with, nothing more can be sent.
			return Mono.empty();
		}
		Failure unknownHealthPath = FrameworkRefusals.unknownHealthPath(ex, exchange.getRequest());
		Failure failure = (unknownHealthPath != null) ? unknownHealthPath : Failure.of(ex);
		this.errors.count(failure);
		if (failure.tier() == ErrorTier.SYSTEM) {
			this.systemErrors.record();
			logger.error("Request {} {} failed (tier=system, trace {})", exchange.getRequest().getMethod(),
					exchange.getRequest().getPath(), TraceIds.of(exchange), ex);
		}
		ProblemDetail problem = problemOf(failure, exchange);
		ResponseEntity.BodyBuilder response = ResponseEntity.status(failure.status());
		if (ex instanceof RateLimitedException limited) {
			long resetSeconds = Math.max(1, (limited.retryAfter().toMillis() + 999) / 1000);
			response.header(HttpHeaders.RETRY_AFTER, Long.toString(resetSeconds))
				.header("RateLimit-Limit", Integer.toString(limited.limit()))
				.header("RateLimit-Remaining", "0")
				.header("RateLimit-Reset", Long.toString(resetSeconds))
				.header("RateLimit-Policy", limited.limit() + ";w=" + Math.max(1, limited.period().toSeconds()));
		}
		else if (ex instanceof BatchingException.Overloaded overloaded) {
			response.header(HttpHeaders.RETRY_AFTER, Long.toString(overloaded.retryAfter().toSeconds()));
		}
		else if (failure.tier() == ErrorTier.CAPACITY || failure.status() == 503) {
			response.header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
		}
		if (failure.status() == 401) {
			response.header(HttpHeaders.WWW_AUTHENTICATE, "ApiKey header=\"" + ApiHeaders.API_KEY + "\"");
		}
		return Mono
			.just(response.contentType(ProblemResponses.contentType(exchange.getRequest().getHeaders())).body(problem));
	}

	/** Framework-detected errors (malformed JSON, media type, method): input tier. */
	@Override
	protected Mono<ResponseEntity<Object>> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
			HttpStatusCode status, ServerWebExchange exchange) {
		ProblemDetail problem = (body instanceof ProblemDetail detail) ? detail : ProblemDetail.forStatus(status);
		Failure refusal = FrameworkRefusals.of(ex, status, exchange.getRequest());
		Rule rule = refusal.rule();
		problem.setType(URI.create(Problems.TYPE_PREFIX + rule.slug()));
		problem.setTitle(rule.title());
		problem.setDetail(refusal.detail());
		this.errors.count(refusal);
		decorate(problem, rule.tier(), exchange);
		// Whatever else the Accept header lists: a problem is JSON (an Accept that allows
		// nothing JSON was answered as text/event-stream).
		return Mono.just(ResponseEntity.status(status)
			.headers(headers)
			.contentType(ProblemResponses.contentType(exchange.getRequest().getHeaders()))
			.body(problem));
	}

	/**
	 * Writes the problem of a classified failure straight to the response, for a filter
	 * that answers before any controller runs (the caller counts it).
	 * @param headers headers the answer carries besides the content type
	 */
	static Mono<Void> write(ServerWebExchange exchange, Failure failure, HttpHeaders headers) {
		AccessLog.failed(exchange, failure.tier());
		exchange.getResponse().getHeaders().addAll(headers);
		return ProblemResponses.write(exchange, failure, exchange.getRequest().getPath().value(),
				TraceIds.of(exchange));
	}

	/** The problem of a classified failure (the caller counts it). */
	static ProblemDetail problemOf(Failure failure, ServerWebExchange exchange) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(failure.status()),
				failure.detail());
		problem.setType(URI.create(Problems.TYPE_PREFIX + failure.rule().slug()));
		problem.setTitle(failure.rule().title());
		decorate(problem, failure.tier(), exchange);
		return problem;
	}

	private static void decorate(ProblemDetail problem, ErrorTier tier, ServerWebExchange exchange) {
		// The error body of TF Serving and of the Open Inference Protocol is
		// {"error": "<message>"}: stock clients (Triton's, KServe's) read that member,
		// so every problem carries the detail there too, beside the RFC 9457 fields.
		// The OpenAI API's clients read an error object there instead.
		boolean openAi = exchange.getRequest().getPath().value().equals(EmbeddingsController.PATH);
		problem.setProperty("error", openAi ? openAiError(problem) : problem.getDetail());
		problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
		problem.setProperty("tier", tier.name().toLowerCase(Locale.ROOT));
		AccessLog.failed(exchange, tier);
		problem.setProperty("traceId", TraceIds.of(exchange));
	}

	/**
	 * OpenAI's error object: {@code message}, {@code type} by status (the SDKs raise
	 * their typed exceptions by status), {@code param} and {@code code}, the rule.
	 */
	static Map<String, Object> openAiError(ProblemDetail problem) {
		int status = problem.getStatus();
		String type = (status >= 500) ? "server_error" : (status == 429) ? "rate_limit_error"
				: (status == 401) ? "authentication_error" : "invalid_request_error";
		String rule = String.valueOf(problem.getType()).substring(Problems.TYPE_PREFIX.length());
		Map<String, Object> error = new LinkedHashMap<>();
		error.put("message", problem.getDetail());
		error.put("type", type);
		error.put("param", null);
		error.put("code", rule);
		return error;
	}

}
