package io.eino.serving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.repository.ModelRepository;
import io.eino.serving.security.ModelKeys;
import io.eino.serving.security.ModelPackage;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.sentiment.DefaultModelInstaller;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Test fixtures: the default model prepared once per build in
 * {@code target/test-repository}, and the project's sentiment evaluation set.
 */
public final class TestModels {

	public static final Path REPOSITORY = Path.of("target", "test-repository").toAbsolutePath();

	private static final SecureRandom RANDOM = new SecureRandom();

	private static boolean installed;

	private TestModels() {
	}

	/**
	 * The SHA-256 of an API key, as {@code eino.security.api-keys.<id>.secret-sha256}
	 * takes it.
	 */
	public static String sha256(String apiKey) {
		return io.eino.serving.client.ClientResolver.sha256(apiKey);
	}

	/**
	 * The repository with the default model in it, installed afresh on first use in each
	 * test JVM: a graph that an earlier build installed under the same version number
	 * would otherwise be tested in place of this build's importer output.
	 */
	public static synchronized Path repository() {
		try {
			if (!installed) {
				deleteRecursively(REPOSITORY);
				installed = true;
			}
			new DefaultModelInstaller().installIfMissing(REPOSITORY);
			return REPOSITORY;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Empties {@code repository} and gives it each of {@code models}, holding the default
	 * model's descriptor and no version yet.
	 */
	public static void emptyRepository(Path repository, String... models) throws IOException {
		deleteRecursively(repository);
		for (String model : models) {
			Files.createDirectories(repository.resolve(model));
			Files.copy(repository().resolve(DefaultModel.NAME + "/" + ModelDescriptor.FILE_NAME),
					repository.resolve(model + "/" + ModelDescriptor.FILE_NAME));
		}
	}

	/**
	 * Makes {@code target} a version directory of hard links to the files of
	 * {@code source} (a version's own {@code model.yaml} left out, so the target model's
	 * descriptor applies) and the ready marker, staged beside it and renamed into place;
	 * nothing when it exists.
	 */
	public static void linkVersion(Path source, Path target) {
		if (Files.exists(target)) {
			return;
		}
		Path staging = target.resolveSibling(".staging-" + target.getFileName());
		try (Stream<Path> files = Files.walk(source)) {
			for (Path file : files.toList()) {
				Path link = staging.resolve(source.relativize(file).toString());
				if (Files.isDirectory(file)) {
					Files.createDirectories(link);
				}
				else if (!file.getFileName().toString().equals(ModelDescriptor.FILE_NAME)
						&& !file.getFileName().toString().equals(ModelRepository.READY_MARKER)) {
					Files.createLink(link, file);
				}
			}
			Files.createFile(staging.resolve(ModelRepository.READY_MARKER));
			Files.move(staging, target);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Seals the default model's version into {@code target/model.eino} with a key
	 * ({@code eino-model seal}), staged beside it with the ready marker and renamed into
	 * place.
	 */
	public static void sealVersion(Path target, String keyId, String key) {
		try {
			Path staging = Files.createDirectories(target.resolveSibling(".staging-" + target.getFileName()));
			ModelPackage.seal(repository().resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION),
					staging.resolve(ModelPackage.FILE_NAME), keyId,
					ModelKeys.fromEnvironment(keyId + ":" + key).key(keyId));
			Files.createFile(staging.resolve(ModelRepository.READY_MARKER));
			Files.move(staging, target);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** A fresh AES-256 key, base64. */
	public static String randomKey() {
		byte[] key = new byte[32];
		RANDOM.nextBytes(key);
		return Base64.getEncoder().encodeToString(key);
	}

	/**
	 * The repository as this build's unit tests left it, the default model's startup plan
	 * and optimised graph stored in it, for the integration tests that start the jar: its
	 * start then reuses the plan, as a user's later starts do, instead of running the
	 * startup step a second time in one build (the unit tests' default context runs it).
	 * Kept only when it was installed after every class of {@code target/classes} was
	 * compiled, so that it is this build's importer output; else installed afresh, as
	 * {@link #repository()} does.
	 */
	public static synchronized Path preparedRepository() {
		Path marker = REPOSITORY
			.resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION + "/" + ModelRepository.READY_MARKER);
		// The integration tests run two at a time, each in a JVM of its own: one installs
		// while the other waits.
		try (java.nio.channels.FileChannel lock = java.nio.channels.FileChannel.open(
				REPOSITORY.resolveSibling("test-repository.lock"), java.nio.file.StandardOpenOption.CREATE,
				java.nio.file.StandardOpenOption.WRITE);
				java.nio.channels.FileLock held = lock.lock();
				Stream<Path> classes = Files.walk(Path.of("target", "classes"))) {
			if (!installed && Files.exists(marker)) {
				long compiled = classes.filter(Files::isRegularFile)
					.mapToLong((file) -> file.toFile().lastModified())
					.max()
					.orElse(Long.MAX_VALUE);
				installed = marker.toFile().lastModified() > compiled;
			}
			return repository();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Deletes a directory and everything in it; nothing when it does not exist. */
	public static void deleteRecursively(Path directory) {
		if (!Files.exists(directory)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(directory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * A labelled sentence.
	 *
	 * @param label positive or negative
	 * @param text the sentence
	 */
	public record LabelledText(String label, String text) {
	}

	public static List<LabelledText> evaluationSet() {
		try {
			List<LabelledText> set = new ArrayList<>();
			Path file = Path.of("src/main/resources/datasets/evaluation/sentiment-evaluation.tsv");
			for (String line : Files.readAllLines(file)) {
				if (!line.isBlank() && !line.startsWith("#")) {
					String[] columns = line.split("\t", 2);
					set.add(new LabelledText(columns[0], columns[1]));
				}
			}
			return set;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Small builds of {@code models} for tests that check what happens around a version
	 * (its lifecycle, its keys, its breaker) rather than how fast it runs: no
	 * optimisation step's measurements (the graph as imported, about half the speed),
	 * fp32, a 32-token window and one bucket length below it, so that a build warms up
	 * four small shapes and takes a second or two instead of six to thirteen. Texts of
	 * these tests stay under 32 tokens. The default build is the other integration
	 * tests'.
	 */
	public static void smallBuilds(DynamicPropertyRegistry registry, String... models) {
		registry.add("eino.runtime.graph-optimization", () -> "none");
		registry.add("eino.runtime.precision", () -> "fp32");
		registry.add("eino.batching.allowed-lengths", () -> "16");
		for (String model : models) {
			registry.add("eino.models." + model + ".max-tokens", () -> "32");
		}
	}

}
