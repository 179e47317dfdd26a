package io.eino.serving.api;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.eino.serving.batching.BatchingException;
import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.ResolvedRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
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
 * real size. An inference request is one whose route, as the controllers' own mapping
 * matches it, is {@link AdmittedAtTheDoor}; its model and version are that route's
 * variables, and the resolution made here is the one the controller runs on.
 */
@Component
class AdmissionDoor implements WebFilter, Ordered {

	/**
	 * The exchange attribute naming the model of an inference route, for the access log.
	 */
	static final String MODEL = AdmissionDoor.class.getName() + ".model";

	private final InferenceService inference;

	private final ClientResolver clients;

	private final ErrorMetrics errors;

	private final RequestMappingHandlerMapping routes;

	private final RefusalHold holds = new RefusalHold(System::nanoTime);

	private final Counter held;

	/**
	 * @param routes the controllers' routes, which say whether a request is an inference
	 * and of which model and version
	 */
	AdmissionDoor(InferenceService inference, ClientResolver clients, ErrorMetrics errors,
			@Qualifier("requestMappingHandlerMapping") RequestMappingHandlerMapping routes, MeterRegistry meters) {
		this.inference = inference;
		this.clients = clients;
		this.errors = errors;
		this.routes = routes;
		this.held = Counter.builder("eino.admission.refusals.held")
			.description(
					"Refusals at the door held a moment: the client came back before its last refusal's Retry-After")
			.register(meters);
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
		// The route decides, as it will for the controller: its handler and variables.
		return this.routes.getHandler(exchange)
			.map((handler) -> admittedRoute(handler, exchange))
			.onErrorResume((refused) -> Mono.empty())
			.defaultIfEmpty(Optional.empty())
			.flatMap((route) -> route.isPresent() ? admit(exchange, chain, route.get()) : chain.filter(exchange));
	}

	/** The variables of an inference route's match; empty for any other route. */
	private static Optional<Map<String, String>> admittedRoute(Object handler, ServerWebExchange exchange) {
		if (handler instanceof HandlerMethod method && method.hasMethodAnnotation(AdmittedAtTheDoor.class)) {
			return Optional.ofNullable(exchange.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE));
		}
		return Optional.empty();
	}

	private Mono<Void> admit(ServerWebExchange exchange, WebFilterChain chain, Map<String, String> route) {
		String model = route.get("model");
		if (model == null) {
			return chain.filter(exchange);
		}
		exchange.getAttributes().put(MODEL, model);
		ResolvedRequest resolved;
		String client;
		try {
			client = ApiHeaders.client(exchange, this.clients).id();
			String version = route.get("version");
			resolved = this.inference.resolve(model, (version != null) ? Long.valueOf(version) : null);
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
				return refuse(exchange, client, ex);
			}
			exchange.getAttributes().put(Resolutions.ATTRIBUTE, request);
			return chain.filter(exchange);
		}, ResolvedRequest::release);
	}

	/**
	 * The 503, its body drained unread; held a moment first when the client comes back
	 * before its last refusal's {@code Retry-After} ({@link RefusalHold}).
	 */
	private Mono<Void> refuse(ServerWebExchange exchange, String client, BatchingException.Overloaded overloaded) {
		Failure failure = Failure.of(overloaded);
		this.errors.count(failure);
		HttpHeaders headers = new HttpHeaders();
		long retryAfter = overloaded.retryAfter().toSeconds();
		headers.set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
		RefusalHold.Held hold = this.holds.hold(client, Duration.ofSeconds(retryAfter));
		Mono<Void> drained = exchange.getRequest().getBody().doOnNext(DataBufferUtils::release).then();
		if (hold == null) {
			return drained.then(ProblemHandler.write(exchange, failure, headers));
		}
		this.held.increment();
		return drained.then(Mono.delay(hold.duration()))
			.then(ProblemHandler.write(exchange, failure, headers))
			.doFinally((signal) -> hold.release().run());
	}

}
