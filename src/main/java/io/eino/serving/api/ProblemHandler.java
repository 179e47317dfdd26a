package io.eino.serving.api;

import java.net.URI;
import java.util.Locale;

import io.eino.serving.ErrorTier;
import io.eino.serving.batching.BatchingException;
import io.eino.serving.inference.InvalidInputException;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelUnavailableException;
import io.eino.serving.text.TextTooLongException;
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

/**
 * The one place where failures become RFC 9457 problems: {@code type} names the rule that
 * failed, {@code tier} the error tier, {@code traceId} the request. Never a stack trace.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

	private static final Logger logger = LoggerFactory.getLogger(ProblemHandler.class);

	static final String TYPE_PREFIX = "urn:eino:problem:";

	/** When a request refused for capacity may be retried. */
	private static final String RETRY_AFTER_SECONDS = "1";

	@ExceptionHandler
	Mono<ResponseEntity<Object>> invalidInput(InvalidInputException ex, ServerWebExchange exchange) {
		HttpStatus status = ex.unprocessable() ? HttpStatus.UNPROCESSABLE_CONTENT : HttpStatus.BAD_REQUEST;
		return problem(status, ex.rule(), ex.getMessage(), ErrorTier.INPUT, exchange);
	}

	@ExceptionHandler
	Mono<ResponseEntity<Object>> textTooLong(TextTooLongException ex, ServerWebExchange exchange) {
		return problem(HttpStatus.UNPROCESSABLE_CONTENT, "token-budget", ex.getMessage(), ErrorTier.INPUT, exchange);
	}

	@ExceptionHandler
	Mono<ResponseEntity<Object>> modelNotFound(ModelNotFoundException ex, ServerWebExchange exchange) {
		return problem(HttpStatus.NOT_FOUND, "unknown-model", ex.getMessage(), ErrorTier.INPUT, exchange);
	}

	@ExceptionHandler
	Mono<ResponseEntity<Object>> modelUnavailable(ModelUnavailableException ex, ServerWebExchange exchange) {
		return problem(HttpStatus.SERVICE_UNAVAILABLE, "model-unavailable", ex.getMessage(), ErrorTier.MODEL, exchange);
	}

	@ExceptionHandler
	Mono<ResponseEntity<Object>> overCapacity(BatchingException ex, ServerWebExchange exchange) {
		String rule = "queue-closed";
		if (ex instanceof BatchingException.QueueFull) {
			rule = "queue-full";
		}
		else if (ex instanceof BatchingException.DeadlineExceeded) {
			rule = "deadline-exceeded";
		}

		return problem(HttpStatus.SERVICE_UNAVAILABLE, rule, ex.getMessage(), ErrorTier.CAPACITY, exchange)
			.map((response) -> ResponseEntity.status(response.getStatusCode())
				.header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
				.body(response.getBody()));
	}

	@ExceptionHandler
	Mono<ResponseEntity<Object>> unexpected(Exception ex, ServerWebExchange exchange) {
		logger.error("Request {} {} failed", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), ex);
		return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error",
				"The service failed to process the request; it has been logged", ErrorTier.SYSTEM, exchange);
	}

	/** Framework-detected errors (malformed JSON, media type, method): input tier. */
	@Override
	protected Mono<ResponseEntity<Object>> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
			HttpStatusCode status, ServerWebExchange exchange) {
		ProblemDetail problem = (body instanceof ProblemDetail detail) ? detail : ProblemDetail.forStatus(status);
		problem.setType(URI.create(TYPE_PREFIX + frameworkRule(status)));
		if (problem.getDetail() == null) {
			problem.setDetail(frameworkDetail(status));
		}
		decorate(problem, status.is5xxServerError() ? ErrorTier.SYSTEM : ErrorTier.INPUT, exchange);
		return Mono.just(ResponseEntity.status(status).headers(headers).body(problem));
	}

	private static String frameworkRule(HttpStatusCode status) {
		return switch (status.value()) {
			case 400 -> "malformed-request";
			case 404 -> "not-found";
			case 405 -> "method-not-allowed";
			case 406 -> "not-acceptable";
			case 413 -> "body-too-large";
			case 415 -> "unsupported-media-type";
			default -> "http-" + status.value();
		};
	}

	private static String frameworkDetail(HttpStatusCode status) {
		return switch (status.value()) {
			case 400 -> "The request could not be read: the body must be well-formed JSON of the documented shape";
			case 415 -> "Send the request body as application/json";
			default -> "The request was refused with HTTP status " + status.value();
		};
	}

	private static Mono<ResponseEntity<Object>> problem(HttpStatus status, String rule, String detail, ErrorTier tier,
			ServerWebExchange exchange) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(URI.create(TYPE_PREFIX + rule));
		decorate(problem, tier, exchange);
		return Mono.just(ResponseEntity.status(status).body(problem));
	}

	private static void decorate(ProblemDetail problem, ErrorTier tier, ServerWebExchange exchange) {
		problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
		problem.setProperty("tier", tier.name().toLowerCase(Locale.ROOT));
		problem.setProperty("traceId", TraceIds.of(exchange));
	}

}
