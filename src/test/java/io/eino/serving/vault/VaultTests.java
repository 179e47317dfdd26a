package io.eino.serving.vault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;

import io.eino.serving.EinoProperties;
import io.eino.serving.TestModels;
import io.eino.serving.repository.DefaultModel;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.security.ModelKeys;
import io.eino.serving.security.ModelPackage;

import org.springframework.test.context.DynamicPropertyRegistry;

/** Shared by the Vault tests: a repository with one model whose versions are sealed. */
final class VaultTests {

	private VaultTests() {
	}

	static String randomKey() {
		byte[] key = new byte[32];
		new SecureRandom().nextBytes(key);
		return Base64.getEncoder().encodeToString(key);
	}

	/** An empty repository holding {@code model} with the default model's descriptor. */
	static void prepareRepository(Path repository, String model) throws IOException {
		if (Files.exists(repository)) {
			try (Stream<Path> paths = Files.walk(repository)) {
				for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
					Files.delete(path);
				}
			}
		}
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
		registry.add("eino.runtime.precision", () -> "fp32");
		registry.add("eino.models.sentiment.enabled", () -> "false");
		registry.add("eino.models.vaulted.enabled", () -> "true");
	}

	/**
	 * The default model sealed with a key into {@code target/model.eino}, published
	 * ready.
	 */
	static void seal(Path target, String keyId, String key) {
		try {
			Path staging = Files.createDirectories(target.resolveSibling(".staging-" + target.getFileName()));
			ModelPackage.seal(TestModels.repository().resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION),
					staging.resolve(ModelPackage.FILE_NAME), keyId,
					ModelKeys.fromEnvironment(keyId + ":" + key).key(keyId));
			Files.createFile(staging.resolve(EinoProperties.Repository.READY_MARKER));
			Files.move(staging, target);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
