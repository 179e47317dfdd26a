package io.eino.serving.server;

import java.util.List;
import java.util.Map;

import io.eino.serving.api.ApiTests;
import io.eino.serving.api.DefaultServingContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The management port refuses anonymous and wrong credentials everywhere but the probes
 * and the Prometheus scrape (docs/security.md), and the public port serves no Actuator.
 */
class ManagementSecurityIntegrationTest extends DefaultServingContext {

	@LocalManagementPort
	private int managementPort;

	@LocalServerPort
	private int port;

	@ParameterizedTest
	@ValueSource(strings = { "/actuator/metrics", "/actuator/threaddump", "/actuator/heapdump", "/actuator/info",
			"/actuator/profile?seconds=1", "/v2/repository/index" })
	void protectedEndpointsRefuseAnonymousCalls(String path) {
		WebTestClient anonymous = WebTestClient.bindToServer()
			.baseUrl("http://localhost:" + this.managementPort)
			.build();
		boolean post = path.startsWith("/v2/repository");
		WebTestClient.ResponseSpec response = (post ? anonymous.post().uri(path) : anonymous.get().uri(path))
			.exchange();
		response.expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"eino-management\"");
		Map<String, Object> problem = ApiTests.problem(response, 401, "management-credentials", "input");
		assertThat((String) problem.get("detail")).contains("HTTP Basic");
	}

	@Test
	void wrongCredentialsAreRefusedAndRightOnesServed() {
		WebTestClient wrong = WebTestClient.bindToServer()
			.baseUrl("http://localhost:" + this.managementPort)
			.defaultHeaders((headers) -> headers.setBasicAuth(ApiTests.MANAGEMENT_USER, "not-the-password"))
			.build();
		ApiTests.problem(wrong.post().uri("/v2/repository/index").exchange(), 401, "management-credentials", "input");
		List<?> index = ApiTests.managementClient(this.managementPort)
			.post()
			.uri("/v2/repository/index")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(List.class)
			.returnResult()
			.getResponseBody();
		assertThat(index).isNotEmpty();
	}

	@ParameterizedTest
	@ValueSource(strings = { "/actuator/health", "/actuator/health/readiness", "/actuator/health/liveness",
			"/actuator/prometheus" })
	void probesAndTheScrapeAreOpen(String path) {
		WebTestClient.bindToServer()
			.baseUrl("http://localhost:" + this.managementPort)
			.build()
			.get()
			.uri(path)
			.exchange()
			.expectStatus()
			.isOk();
	}

	@Test
	void thePublicPortServesNoActuatorAndNeedsNoManagementCredentials() {
		WebTestClient publicPort = WebTestClient.bindToServer().baseUrl("http://localhost:" + this.port).build();
		ApiTests.problem(publicPort.get().uri("/actuator/heapdump").exchange(), 404, "not-found", "input");
		ApiTests.problem(publicPort.get().uri("/actuator/health").exchange(), 404, "not-found", "input");
		publicPort.get().uri("/v2/health/ready").exchange().expectStatus().isOk();
	}

}
