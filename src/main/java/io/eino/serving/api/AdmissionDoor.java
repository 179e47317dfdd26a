package io.eino.serving.api;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import io.eino.serving.batching.BatchingException;
import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.ResolvedRequest;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Admission at the door (docs/traffic.md, "Admission"): before an inference request is
 * parsed, validated and tokenized, its client is looked up and the model's queue asked
 * whether it would refuse even the smallest request of that client; if so the request is
 * answered 503 {@code overloaded} at once, its small body drained unread. Under a flood
 * this keeps the CPU for the model: a refusal here costs a fraction of one made after
 * tokenizing. What passes is admitted or refused by the queue itself, with the request's
 * real size.
 */
@Component
class AdmissionDoor implements WebFilter, Ordered {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final InferenceService inference;

	private final ClientResolver clients;

	private final ErrorMetrics errors;

	AdmissionDoor(InferenceService inference, ClientResolver clients, ErrorMetrics errors) {
		this.inference = inference;
		this.clients = clients;
		this.errors = errors;
	}

	/** After the connection filter, before everything else. */
	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 10;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		if (exchange.getRequest().getMethod() != HttpMethod.POST) {
			return chain.filter(exchange);
		}
		String[] target = target(exchange.getRequest().getPath().value());
		if (target == null) {
			return chain.filter(exchange);
		}
		ResolvedRequest resolved;
		String client;
		try {
			client = ApiHeaders.client(exchange, this.clients).id();
			resolved = this.inference.resolve(target[0], (target[1] != null) ? parseVersion(target[1]) : null);
		}
		catch (RuntimeException ex) {
			// An unknown key, model or version, or one that does not serve yet: the
			// request itself will be refused with the right problem.
			return chain.filter(exchange);
		}
		// The request runs on this resolution (Resolutions): the door holds it for the
		// whole exchange, so the controller does not ask the registry again.
		return Mono.using(() -> resolved, (request) -> {
			try {
				this.inference.checkDoor(request, client);
			}
			catch (BatchingException.Overloaded ex) {
				return refuse(exchange, ex);
			}
			exchange.getAttributes().put(Resolutions.ATTRIBUTE, request);
			return chain.filter(exchange);
		}, ResolvedRequest::release);
	}

	private Mono<Void> refuse(ServerWebExchange exchange, BatchingException.Overloaded overloaded) {
		Failure failure = Failure.of(overloaded);
		this.errors.count(failure);
		ProblemDetail problem = ProblemHandler.problemOf(failure, exchange);
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("type", problem.getType().toString());
		body.put("title", problem.getTitle());
		body.put("status", problem.getStatus());
		body.put("detail", problem.getDetail());
		body.put("instance", String.valueOf(problem.getInstance()));
		if (problem.getProperties() != null) {
			body.putAll(problem.getProperties());
		}
		byte[] json = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
		ServerHttpResponse response = exchange.getResponse();
		response.setStatusCode(HttpStatus.SERVICE_UNAVAILABLE);
		response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
		response.getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(overloaded.retryAfter().toSeconds()));
		DataBuffer buffer = response.bufferFactory().wrap(json);
		return exchange.getRequest()
			.getBody()
			.doOnNext(DataBufferUtils::release)
			.then(response.writeWith(Mono.just(buffer)));
	}

	/**
	 * The model and version (or null) of an inference path, or null for any other path:
	 * {@code /v1/models/{m}[/versions/{v}]:predict} and
	 * {@code /v2/models/{m}[/versions/{v}]/infer}.
	 */
	static String[] target(String path) {
		String rest;
		if (path.startsWith("/v1/models/") && path.endsWith(":predict")) {
			rest = path.substring("/v1/models/".length(), path.length() - ":predict".length());
		}
		else if (path.startsWith("/v2/models/") && path.endsWith("/infer")) {
			rest = path.substring("/v2/models/".length(), path.length() - "/infer".length());
		}
		else {
			return null;
		}
		int versions = rest.indexOf("/versions/");
		if (versions < 0) {
			return (rest.isEmpty() || rest.indexOf('/') >= 0) ? null : new String[] { rest, null };
		}
		return new String[] { rest.substring(0, versions), rest.substring(versions + "/versions/".length()) };
	}

	private static Long parseVersion(String version) {
		return Long.valueOf(version);
	}

}
