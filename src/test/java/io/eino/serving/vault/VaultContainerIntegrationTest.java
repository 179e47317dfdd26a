package io.eino.serving.vault;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;

import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.testcontainers.DockerClientFactory;
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
 * profile and serves a model sealed with it. Skipped where no Docker engine can get the
 * image (the build machines reach no image registry); the GitHub workflow runs it.
 */
@Testcontainers
@EnabledIf(value = "vaultImageObtainable",
		disabledReason = "needs a Docker engine that has or can pull " + VaultContainerIntegrationTest.IMAGE
				+ " (no image registry is reachable on the build machines; the GitHub workflow runs it)")
@Tag(TestTags.TENSORFLOW)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "PT60S")
@ActiveProfiles("vault")
class VaultContainerIntegrationTest {

	static final Path REPOSITORY = Path.of("target", "vault-container-repository").toAbsolutePath();

	static final String IMAGE = "hashicorp/vault:1.19";

	static final String TOKEN = "eino-test-root-token";

	static final String REQUIRED = "eino.vault-container.required";

	static final String KEY = TestModels.randomKey();

	@Container
	static final VaultContainer<?> VAULT = new VaultContainer<>(IMAGE).withVaultToken(TOKEN)
		.withInitCommand("kv put secret/eino eino.encryption.keys.container-key=" + KEY);

	@Autowired
	private WebTestClient client;

	/**
	 * Whether a Docker engine answers and has the Vault image or can pull it (with
	 * Testcontainers' resource reaper, pulled the same way). With
	 * {@code -D}{@value #REQUIRED} (the GitHub workflow) an engine that cannot is an
	 * error, not a skip.
	 */
	static boolean vaultImageObtainable() {
		boolean obtainable = obtainable();
		if (!obtainable && Boolean.getBoolean(REQUIRED)) {
			throw new IllegalStateException("-D" + REQUIRED + " is set, and no Docker engine here can get " + IMAGE);
		}
		return obtainable;
	}

	private static boolean obtainable() {
		try {
			if (!DockerClientFactory.instance().isDockerAvailable()) {
				return false;
			}
			DockerClient docker = DockerClientFactory.lazyClient();
			try {
				docker.inspectImageCmd(IMAGE).exec();
				return true;
			}
			catch (NotFoundException ex) {
				return docker.pullImageCmd(IMAGE).start().awaitCompletion(120, TimeUnit.SECONDS);
			}
		}
		catch (RuntimeException ex) {
			// An engine Testcontainers cannot use (one without a bridge network, as on
			// the build machines) or a registry out of reach.
			return false;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

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
