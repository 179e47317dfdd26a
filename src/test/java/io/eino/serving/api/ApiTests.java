package io.eino.serving.api;

import java.util.Map;

import io.eino.serving.error.Problems;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Assertions and requests the HTTP tests share.
 */
public final class ApiTests {

	/**
	 * The management user of the tests
	 * (src/test/resources/config/application.properties).
	 */
	public static final String MANAGEMENT_USER = "eino-admin";

	public static final String MANAGEMENT_PASSWORD = "test-management-password";

	private ApiTests() {
	}

	/** The {@code Authorization} header value of the tests' management user. */
	public static String managementAuthorization() {
		return "Basic " + java.util.Base64.getEncoder()
			.encodeToString(
					(MANAGEMENT_USER + ":" + MANAGEMENT_PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));
	}

	/** A client of the management port that sends the tests' management credentials. */
	public static WebTestClient managementClient(int port) {
		return WebTestClient.bindToServer()
			.baseUrl("http://localhost:" + port)
			.defaultHeader(org.springframework.http.HttpHeaders.AUTHORIZATION, managementAuthorization())
			.build();
	}

	/**
	 * Asserts that a response is the problem of {@code rule} in {@code tier}, with the
	 * fields every problem carries and no exception text.
	 */
	public static Map<String, Object> problem(WebTestClient.ResponseSpec response, int status, String rule,
			String tier) {
		Map<String, Object> problem = response.expectStatus()
			.isEqualTo(status)
			.expectHeader()
			.contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
			.expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
			})
			.returnResult()
			.getResponseBody();
		assertThat(problem).containsEntry("type", Problems.TYPE_PREFIX + rule)
			.containsEntry("status", status)
			.containsEntry("tier", tier)
			.containsKeys("title", "detail", "traceId");
		assertThat((String) problem.get("detail")).isNotBlank();
		// What TF Serving and Open Inference Protocol clients read.
		assertThat(problem.get("error")).isEqualTo(problem.get("detail"));
		assertThat(problem.toString()).doesNotContain("Exception").doesNotContain("\tat ");
		return problem;
	}

	/** A JSON GET on the management port. */
	public static Map<String, Object> management(int port, String uri) {
		return okJson(managementClient(port).get().uri(uri).exchange());
	}

	/** Asserts a 200 and returns its JSON body as a tree. */
	public static tools.jackson.databind.JsonNode okNode(WebTestClient.ResponseSpec response) {
		return response.expectStatus()
			.isOk()
			.expectBody(tools.jackson.databind.JsonNode.class)
			.returnResult()
			.getResponseBody();
	}

	/** Asserts a 200 and returns its JSON object. */
	public static Map<String, Object> okJson(WebTestClient.ResponseSpec response) {
		return response.expectStatus().isOk().expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
		}).returnResult().getResponseBody();
	}

}
