package io.eino.serving.api;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Reads the body of an inference request as JSON when it declares no content type, or the
 * form type {@code curl -d} sends: Triton's HTTP client posts JSON with no
 * {@code Content-Type}, and TF Serving's own documented {@code curl -d '{"instances":…}'}
 * sends {@code application/x-www-form-urlencoded}; TF Serving and Triton read the body
 * whatever it says. Any other declared type is still refused 415.
 */
@Component
final class JsonByDefault implements WebFilter, Ordered {

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		ServerHttpRequest request = exchange.getRequest();
		if (!HttpMethod.POST.equals(request.getMethod()) || !inference(request.getPath().value())) {
			return chain.filter(exchange);
		}
		MediaType declared = declared(request.getHeaders());
		if (declared != null && !declared.isCompatibleWith(MediaType.APPLICATION_FORM_URLENCODED)) {
			return chain.filter(exchange);
		}
		return chain.filter(exchange.mutate()
			.request((mutated) -> mutated.headers((headers) -> headers.setContentType(MediaType.APPLICATION_JSON)))
			.build());
	}

	/** The inference routes of the three REST protocols. */
	static boolean inference(String path) {
		return path.startsWith("/v1/models/") || path.startsWith("/v2/models/")
				|| path.equals(EmbeddingsController.PATH);
	}

	private static MediaType declared(HttpHeaders headers) {
		try {
			return headers.getContentType();
		}
		catch (org.springframework.http.InvalidMediaTypeException ex) {
			// Not readable as a type: the controllers' 415 says so.
			return MediaType.APPLICATION_OCTET_STREAM;
		}
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 1;
	}

}
