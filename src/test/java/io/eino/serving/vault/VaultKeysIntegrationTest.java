package io.eino.serving.vault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys from Vault with no Docker: Spring Cloud Vault's real client, through the shipped
 * {@code vault} profile, reads the KV v2 secret {@code secret/eino} from a loopback
 * server answering Vault's API, and the service serves a model sealed with that key. A
 * key added to Vault later is picked up by a configuration refresh, without a restart;
 * AppRole and Kubernetes authentication are chosen by configuration alone.
 */
@Tag(TestTags.TENSORFLOW)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ActiveProfiles("vault")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VaultKeysIntegrationTest {

	static final Path REPOSITORY = Path.of("target", "vault-repository").toAbsolutePath();

	static final FakeVault VAULT = new FakeVault();

	static final String FIRST_KEY = TestModels.randomKey();

	static final String SECOND_KEY = TestModels.randomKey();

	static {
		// Read while the environment is prepared, before any dynamic property exists.
		System.setProperty("VAULT_ADDR", VAULT.uri());
		System.setProperty("VAULT_TOKEN", FakeVault.ROOT_TOKEN);
		VAULT.put("secret", "eino", Map.of("eino.encryption.keys.vault-1", FIRST_KEY));
	}

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws IOException {
		VaultTests.prepareRepository(REPOSITORY, "vaulted");
		TestModels.sealVersion(REPOSITORY.resolve("vaulted/1"), "vault-1", FIRST_KEY);
		VaultTests.serveOnlyVaulted(registry, REPOSITORY);
	}

	@AfterAll
	static void stopVault() {
		System.clearProperty("VAULT_ADDR");
		System.clearProperty("VAULT_TOKEN");
		VAULT.close();
	}

	@Test
	@Order(1)
	void servesAModelSealedWithAKeyReadFromVault() {
		Map<String, Object> body = predict();
		assertThat(body).containsKey("predictions");
		assertThat(VAULT.requests()).contains("GET /v1/secret/data/eino token=" + FakeVault.ROOT_TOKEN);
	}

	/** Rotation: a new key in Vault, a refresh, and a version sealed with it loads. */
	@Test
	@Order(2)
	void aKeyAddedToVaultIsUsedAfterARefreshWithoutRestart() throws IOException {
		TestModels.sealVersion(REPOSITORY.resolve("vaulted/2"), "vault-2", SECOND_KEY);
		List<?> refused = control("/v2/repository/poll");
		assertThat(refused.toString()).contains("'vault-2'").contains("No key");

		VAULT.put("secret", "eino",
				Map.of("eino.encryption.keys.vault-1", FIRST_KEY, "eino.encryption.keys.vault-2", SECOND_KEY));
		client(this.managementPort).post().uri("/actuator/refresh").exchange().expectStatus().isOk();
		List<?> index = control("/v2/repository/models/vaulted/load");

		assertThat(index.toString()).contains("version=2, state=READY");
		WebTestClient.ResponseSpec answer = client(this.port).post()
			.uri("/v1/models/vaulted:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"instances\": [\"A wonderful, moving film.\"]}")
			.exchange();
		answer.expectStatus().isOk().expectHeader().valueEquals("Eino-Model-Version", "2");
	}

	/** AppRole and Kubernetes logins by configuration, against the same server. */
	@ParameterizedTest
	@CsvSource({ "APPROLE, /v1/auth/approle/login", "KUBERNETES, /v1/auth/kubernetes/login" })
	@Order(3)
	void authenticatesByConfiguredMethod(String method, String loginPath) throws IOException {
		Path jwt = Files.createTempFile("service-account", ".jwt");
		Files.writeString(jwt, "header.payload.signature");
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(Empty.class)
			.web(WebApplicationType.NONE)
			.run("--spring.config.import=vault://secret/eino", "--spring.cloud.vault.enabled=true",
					"--spring.cloud.vault.uri=" + VAULT.uri(), "--spring.cloud.vault.authentication=" + method,
					"--spring.cloud.vault.app-role.role-id=" + FakeVault.ROLE_ID,
					"--spring.cloud.vault.app-role.secret-id=" + FakeVault.SECRET_ID,
					"--spring.cloud.vault.kubernetes.role=eino-serving",
					"--spring.cloud.vault.kubernetes.service-account-token-file=" + jwt,
					"--spring.cloud.vault.kv.enabled=true", "--spring.cloud.vault.kv.backend=secret",
					"--spring.main.banner-mode=off")) {
			assertThat(context.getEnvironment().getProperty("eino.encryption.keys.vault-1")).isEqualTo(FIRST_KEY);
		}
		finally {
			Files.delete(jwt);
		}
		assertThat(VAULT.requests()).anyMatch((request) -> request.startsWith("POST " + loginPath))
			.contains("GET /v1/secret/data/eino token=fake-approle-token");
	}

	private Map<String, Object> predict() {
		return client(this.port).post()
			.uri("/v1/models/vaulted:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"instances\": [\"A wonderful, moving film.\"]}")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(new org.springframework.core.ParameterizedTypeReference<Map<String, Object>>() {
			})
			.returnResult()
			.getResponseBody();
	}

	private List<?> control(String path) {
		return client(this.managementPort).post()
			.uri(path)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(List.class)
			.returnResult()
			.getResponseBody();
	}

	private static WebTestClient client(int port) {
		return WebTestClient.bindToServer()
			.baseUrl("http://localhost:" + port)
			.defaultHeader("Authorization", io.eino.serving.api.ApiTests.managementAuthorization())
			.responseTimeout(Duration.ofMinutes(2))
			.build();
	}

	/**
	 * Nothing but the environment, for the authentication checks (not annotated, so that
	 * the test's own context still finds the application).
	 */
	static class Empty {

	}

}
