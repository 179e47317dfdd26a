package io.eino.serving.vault;

import java.io.IOException;
import java.nio.file.Path;

import io.eino.serving.TestModels;

import org.springframework.test.context.DynamicPropertyRegistry;

/** Shared by the Vault tests: a repository with one model whose versions are sealed. */
final class VaultTests {

	private VaultTests() {
	}

	/** An empty repository holding {@code model} with the default model's descriptor. */
	static void prepareRepository(Path repository, String model) throws IOException {
		TestModels.emptyRepository(repository, model);
	}

	/**
	 * Serves only {@code vaulted} from {@code repository}, loaded at start, never polled.
	 */
	static void serveOnlyVaulted(DynamicPropertyRegistry registry, Path repository) {
		registry.add("eino.repository.path", repository::toString);
		registry.add("eino.repository.install-default-model", () -> "false");
		registry.add("eino.repository.poll-interval", () -> "0s");
		registry.add("eino.models.sentiment.enabled", () -> "false");
		registry.add("eino.models.vaulted.enabled", () -> "true");
		// Where the keys come from is what these tests check.
		TestModels.smallBuilds(registry, "vaulted");
	}

}
