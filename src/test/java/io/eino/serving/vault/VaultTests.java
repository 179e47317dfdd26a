package io.eino.serving.vault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.eino.serving.TestModels;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.sentiment.DefaultModel;

import org.springframework.test.context.DynamicPropertyRegistry;

/** Shared by the Vault tests: a repository with one model whose versions are sealed. */
final class VaultTests {

	private VaultTests() {
	}

	/** An empty repository holding {@code model} with the default model's descriptor. */
	static void prepareRepository(Path repository, String model) throws IOException {
		TestModels.deleteRecursively(repository);
		Files.createDirectories(repository.resolve(model));
		Files.copy(TestModels.repository().resolve(DefaultModel.NAME + "/" + ModelDescriptor.FILE_NAME),
				repository.resolve(model + "/" + ModelDescriptor.FILE_NAME));
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
