package io.eino.serving.vault;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import io.eino.serving.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.vault.VaultContainer;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code hashicorp/vault} image in dev mode (KV v2 at {@code secret/}): the key
 * is put there with the Vault CLI, the service reads it through the shipped {@code vault}
 * profile and serves a model sealed with it. Skipped where there is no Docker (this
 * machine); the GitHub workflow runs it.
 */
@Testcontainers(disabledWithoutDocker = true)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "PT60S")
@ActiveProfiles("vault")
class VaultContainerIntegrationTest {

	static final Path REPOSITORY = Path.of("target", "vault-container-repository").toAbsolutePath();

	static final String TOKEN = "eino-test-root-token";

	static final String KEY = TestModels.randomKey();

	@Container
	static final VaultContainer<?> VAULT = new VaultContainer<>("hashicorp/vault:1.19").withVaultToken(TOKEN)
		.withInitCommand("kv put secret/eino eino.encryption.keys.container-key=" + KEY);

	@Autowired
	private WebTestClient client;

	/** Read while the environment is prepared, which is before dynamic properties. */
	@BeforeAll
	static void pointAtVault() {
		System.setProperty("VAULT_ADDR", VAULT.getHttpHostAddress());
		System.setProperty("VAULT_TOKEN", TOKEN);
	}

	@AfterAll
	static void forgetVault() {
		System.clearProperty("VAULT_ADDR");
		System.clearProperty("VAULT_TOKEN");
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws IOException {
		VaultTests.prepareRepository(REPOSITORY, "vaulted");
		TestModels.sealVersion(REPOSITORY.resolve("vaulted/1"), "container-key", KEY);
		VaultTests.serveOnlyVaulted(registry, REPOSITORY);
	}

	@Test
	void servesAModelSealedWithAKeyFromRealVault() {
		Map<String, Object> body = this.client.post()
			.uri("/v1/models/vaulted:predict")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"instances\": [\"A wonderful, moving film.\"]}")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
			})
			.returnResult()
			.getResponseBody();
		assertThat(body.toString()).contains("positive");
	}

}
