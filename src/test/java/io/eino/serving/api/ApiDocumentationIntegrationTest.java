package io.eino.serving.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document at {@code /v3/api-docs} lists every endpoint the public port's
 * controllers map, with the bodies' schemas and the problems of the catalogue.
 */
class ApiDocumentationIntegrationTest extends DefaultServingContext {

	@Autowired
	private WebTestClient client;

	@Autowired
	@Qualifier("requestMappingHandlerMapping")
	private RequestMappingHandlerMapping mappings;

	@Test
	void listsEveryPublicEndpoint() {
		JsonNode paths = document().path("paths");
		List<String> missing = new ArrayList<>();
		List<String> mapped = new ArrayList<>();
		for (Map.Entry<RequestMappingInfo, HandlerMethod> mapping : this.mappings.getHandlerMethods().entrySet()) {
			if (!mapping.getValue().getBeanType().getPackageName().equals("io.eino.serving.api")) {
				continue;
			}
			for (var pattern : mapping.getKey().getPatternsCondition().getPatterns()) {
				for (var method : mapping.getKey().getMethodsCondition().getMethods()) {
					String endpoint = method.name() + " " + pattern.getPatternString();
					mapped.add(endpoint);
					if (paths.path(pattern.getPatternString())
						.path(method.name().toLowerCase(Locale.ROOT))
						.isMissingNode()) {
						missing.add(endpoint);
					}
				}
			}
		}
		assertThat(mapped).contains("POST /v1/models/{model}:predict", "POST /v2/models/{model}/infer",
				"POST /v1/models/{model}:classify", "GET /v2", "POST /v1/embeddings", "GET /v1/models");
		assertThat(missing).isEmpty();
	}

	@Test
	void describesBodiesAndProblems() {
		JsonNode document = document();
		JsonNode predict = document.at("/paths/~1v1~1models~1{model}:predict/post");
		assertThat(predict.at("/requestBody/content/application~1json/schema/$ref").asString())
			.isEqualTo("#/components/schemas/TfServingPredictRequest");
		assertThat(predict.at("/responses/200/content/application~1json/schema/$ref").asString())
			.isEqualTo("#/components/schemas/TfServingPredictResponse");
		assertThat(predict.at("/responses/422/description").asString()).contains("denied-pattern", "text-length");
		assertThat(predict.at("/responses/503/description").asString()).contains("overloaded", "queue-full");
		assertThat(predict.at("/responses/429/content/application~1problem+json/schema/$ref").asString())
			.isEqualTo("#/components/schemas/Problem");
		JsonNode infer = document.at("/paths/~1v2~1models~1{model}~1infer/post");
		assertThat(infer.at("/requestBody/content/application~1json/schema/$ref").asString())
			.isEqualTo("#/components/schemas/OipInferenceRequest");
		assertThat(document.at("/components/schemas/Problem/properties").propertyNames()).contains("type", "title",
				"status", "detail", "error", "tier", "traceId");
		assertThat(document.at("/components/schemas/OipTensor/properties/datatype/enum").toString()).contains("FP16",
				"BYTES");
		assertThat(document.at("/info/title").asString()).isEqualTo("eino-serving");
	}

	private JsonNode document() {
		String json = this.client.get()
			.uri("/v3/api-docs")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.returnResult()
			.getResponseBody();
		return JsonMapper.builder().build().readTree(json);
	}

}
