package io.eino.serving.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import java.util.Random;

import javax.crypto.SecretKey;

import io.eino.serving.TestModels;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sealed packages: the round trip, tampering anywhere, a wrong key, a missing key, key
 * rotation, a truncated copy, and the {@code eino-model} command.
 */
class ModelPackageTest {

	@TempDir
	Path temp;

	private Path version;

	private final String k1 = TestModels.randomKey();

	private final String k2 = TestModels.randomKey();

	@BeforeEach
	void version() throws IOException {
		this.version = this.temp.resolve("export/7");
		Files.createDirectories(this.version.resolve("variables"));
		byte[] weights = new byte[300_000];
		new Random(7).nextBytes(weights);
		Files.write(this.version.resolve("saved_model.pb"), "graph bytes".getBytes(StandardCharsets.UTF_8));
		Files.write(this.version.resolve("variables/variables.data-00000-of-00001"), weights);
		Files.writeString(this.version.resolve("tokenizer.json"), "{\"model\": {}}");
	}

	@Test
	void sealsAndOpensADirectoryWithItsHeaderAuthenticated() throws IOException {
		Path sealed = this.temp.resolve("model.eino");
		ModelPackage.Header header = ModelPackage.seal(this.version, sealed, "k1", key(this.k1));
		assertThat(header.formatVersion()).isEqualTo(ModelPackage.FORMAT_VERSION);
		assertThat(ModelPackage.inspect(sealed).keyId()).isEqualTo("k1");
		assertThat(Files.size(sealed)).isEqualTo(header.headerLength() + header.ciphertextLength());
		String contents = new String(Files.readAllBytes(sealed), StandardCharsets.ISO_8859_1);
		assertThat(contents).doesNotContain("graph bytes").doesNotContain("tokenizer.json");

		Path opened = Files.createDirectory(this.temp.resolve("opened"));
		ModelPackage.open(sealed, keys(Map.of("k1", this.k1)), opened);
		assertSameFiles(this.version, opened);
	}

	@Test
	void sealsIntoAFolderThatDoesNotExistYet() throws IOException {
		// The example of docs/security.md seals into a new staging folder of the
		// repository.
		Path sealed = this.temp.resolve("sentiment/.staging-3/model.eino");
		ModelPackage.seal(this.version, sealed, "k1", key(this.k1));
		assertThat(sealed).isRegularFile();
		Path opened = this.temp.resolve("opened");
		ModelPackage.open(sealed, keys(Map.of("k1", this.k1)), opened);
		assertThat(opened.resolve("saved_model.pb")).exists();
	}

	@Test
	void twoSealsOfTheSameDirectoryUseDifferentNonces() {
		ModelPackage.Header first = ModelPackage.seal(this.version, this.temp.resolve("a.eino"), "k1", key(this.k1));
		ModelPackage.Header second = ModelPackage.seal(this.version, this.temp.resolve("b.eino"), "k1", key(this.k1));
		assertThat(first.nonce()).isNotEqualTo(second.nonce());
	}

	@Test
	void refusesAPackageWithAnyByteChangedAndWritesNothing() throws IOException {
		Path sealed = this.temp.resolve("model.eino");
		ModelPackage.Header header = ModelPackage.seal(this.version, sealed, "k1", key(this.k1));
		byte[] original = Files.readAllBytes(sealed);
		// The nonce (header), the first ciphertext byte, one in the middle, and the tag.
		int[] offsets = { header.headerLength() - 9, header.headerLength(), original.length / 2, original.length - 1 };
		for (int offset : offsets) {
			byte[] tampered = original.clone();
			tampered[offset] ^= 0x01;
			Path file = this.temp.resolve("tampered-" + offset + ".eino");
			Files.write(file, tampered);
			Path target = Files.createDirectory(this.temp.resolve("target-" + offset));
			assertThatThrownBy(() -> ModelPackage.open(file, keys(Map.of("k1", this.k1)), target))
				.isInstanceOfSatisfying(PackageException.class, (ex) -> {
					assertThat(ex.reason()).isEqualTo(PackageException.Reason.AUTHENTICATION);
					assertThat(ex.keyId()).isEqualTo("k1");
					assertThat(ex.getMessage()).contains("'k1'").contains("tampered");
				});
			try (var files = Files.list(target)) {
				assertThat(files).as("nothing unpacked from a package that failed authentication").isEmpty();
			}
		}
	}

	@Test
	void refusesAChangedKeyIdEvenWhenThatKeyExists() throws IOException {
		Path sealed = this.temp.resolve("model.eino");
		ModelPackage.seal(this.version, sealed, "k1", key(this.k1));
		byte[] bytes = Files.readAllBytes(sealed);
		// "k1" → "k2" in the header: the other key exists, but the header is
		// authenticated.
		bytes[11] = '2';
		Files.write(sealed, bytes);
		assertThat(ModelPackage.inspect(sealed).keyId()).isEqualTo("k2");
		Path target = Files.createDirectory(this.temp.resolve("target"));
		assertThatThrownBy(() -> ModelPackage.open(sealed, keys(Map.of("k1", this.k1, "k2", this.k1)), target))
			.isInstanceOfSatisfying(PackageException.class,
					(ex) -> assertThat(ex.reason()).isEqualTo(PackageException.Reason.AUTHENTICATION));
	}

	@Test
	void refusesAWrongKeyNamingItsId() {
		Path sealed = this.temp.resolve("model.eino");
		ModelPackage.seal(this.version, sealed, "k1", key(this.k1));
		assertThatThrownBy(() -> ModelPackage.open(sealed, keys(Map.of("k1", this.k2)), this.temp))
			.isInstanceOfSatisfying(PackageException.class, (ex) -> {
				assertThat(ex.reason()).isEqualTo(PackageException.Reason.AUTHENTICATION);
				assertThat(ex.getMessage()).contains("'k1'");
			});
	}

	@Test
	void refusesAMissingKeyListingTheKnownIds() {
		Path sealed = this.temp.resolve("model.eino");
		ModelPackage.seal(this.version, sealed, "k1", key(this.k1));
		assertThatThrownBy(() -> ModelPackage.open(sealed, keys(Map.of("k2", this.k2)), this.temp))
			.isInstanceOfSatisfying(PackageException.class, (ex) -> {
				assertThat(ex.reason()).isEqualTo(PackageException.Reason.KEY_MISSING);
				assertThat(ex.keyId()).isEqualTo("k1");
				assertThat(ex.getMessage()).contains("'k1'").contains("[k2]").doesNotContain(this.k2);
			});
	}

	@Test
	void refusesATruncatedCopyBeforeDecrypting() throws IOException {
		Path sealed = this.temp.resolve("model.eino");
		ModelPackage.seal(this.version, sealed, "k1", key(this.k1));
		byte[] bytes = Files.readAllBytes(sealed);
		Path partial = this.temp.resolve("partial.eino");
		Files.write(partial, java.util.Arrays.copyOf(bytes, bytes.length / 2));
		assertThatThrownBy(() -> ModelPackage.inspect(partial)).isInstanceOfSatisfying(PackageException.class,
				(ex) -> assertThat(ex.getMessage()).contains("truncated"));
		Files.writeString(partial, "not a package at all");
		assertThatThrownBy(() -> ModelPackage.inspect(partial)).isInstanceOfSatisfying(PackageException.class,
				(ex) -> assertThat(ex.reason()).isEqualTo(PackageException.Reason.FORMAT));
	}

	/**
	 * Rotation: packages name their key, so old and new keys serve side by side until
	 * every package is resealed; then the old key can go.
	 */
	@Test
	void rotatesKeysByResealingUnderANewId() throws IOException {
		Path old = this.temp.resolve("old.eino");
		ModelPackage.seal(this.version, old, "2026-10", key(this.k1));
		ModelKeys both = keys(Map.of("2026-10", this.k1, "2026-11", this.k2));
		Path opened = Files.createDirectory(this.temp.resolve("opened"));
		ModelPackage.open(old, both, opened);
		Path resealed = this.temp.resolve("new.eino");
		ModelPackage.seal(opened, resealed, "2026-11", both.key("2026-11"));

		ModelKeys newOnly = keys(Map.of("2026-11", this.k2));
		Path fromNew = Files.createDirectory(this.temp.resolve("from-new"));
		ModelPackage.open(resealed, newOnly, fromNew);
		assertSameFiles(this.version, fromNew);
		assertThatThrownBy(() -> ModelPackage.open(old, newOnly, this.temp))
			.isInstanceOfSatisfying(PackageException.class, (ex) -> assertThat(ex.keyId()).isEqualTo("2026-10"));
	}

	@Test
	void readsKeysFromTheEnvironmentVariableWithOrWithoutIds() {
		assertThat(ModelKeys.fromEnvironment(this.k1).ids()).containsExactly(ModelKeys.DEFAULT_ID);
		ModelKeys keys = ModelKeys.fromEnvironment("a:" + this.k1 + ", b:" + this.k2);
		assertThat(keys.ids()).containsExactly("a", "b");
		assertThat(keys.key("b").getEncoded()).isEqualTo(Base64.getDecoder().decode(this.k2));
		assertThatThrownBy(() -> ModelKeys.fromEnvironment("short:" + Base64.getEncoder().encodeToString(new byte[16]))
			.key("short")).isInstanceOf(PackageException.class).hasMessageContaining("32");
	}

	@Test
	void theCommandSealsInspectsAndOpens() throws IOException {
		Path sealed = this.temp.resolve("model.eino");
		String environment = "prod:" + this.k1;
		assertThat(run(environment, "seal", this.version.toString(), sealed.toString())).contains("key 'prod'");
		assertThat(run(environment, "inspect", sealed.toString())).contains("format version: 1")
			.contains("key id: prod");
		Path opened = this.temp.resolve("opened");
		assertThat(run(environment, "open", sealed.toString(), opened.toString())).contains("Opened");
		assertSameFiles(this.version, opened);
		assertThat(ModelPackageCommand.run(new String[] { "open", sealed.toString(), opened.toString() }, environment))
			.as("refuses to open into a non-empty directory")
			.isEqualTo(1);
		assertThat(ModelPackageCommand.run(
				new String[] { "open", sealed.toString(), this.temp.resolve("elsewhere").toString() },
				"prod:" + this.k2))
			.as("wrong key")
			.isEqualTo(1);
		assertThat(this.temp.resolve("elsewhere")).as("nothing left behind by a failed open").doesNotExist();
		assertThat(ModelPackageCommand.run(new String[] { "frobnicate" }, environment)).isEqualTo(2);
	}

	@Test
	void aWorkspaceIsPrivateMemoryBackedAndGoneWhenClosed() throws IOException {
		Path path;
		try (PlaintextWorkspace workspace = PlaintextWorkspace.create(null, 1024)) {
			path = workspace.path();
			assertThat(PlaintextWorkspace.filesystemType(path)).isIn("tmpfs", "ramfs");
			assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rwx------");
			Files.writeString(path.resolve("saved_model.pb"), "plaintext");
		}
		assertThat(path).doesNotExist();
		assertThatThrownBy(() -> PlaintextWorkspace.create(this.temp, 1024)).isInstanceOf(IllegalStateException.class)
			.hasMessageContaining("not memory-backed");
	}

	private static String run(String environment, String... args) {
		PrintStream original = System.out;
		ByteArrayOutputStream captured = new ByteArrayOutputStream();
		System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
		try {
			assertThat(ModelPackageCommand.run(args, environment)).isZero();
		}
		finally {
			System.setOut(original);
		}
		return captured.toString(StandardCharsets.UTF_8);
	}

	private static void assertSameFiles(Path expected, Path actual) throws IOException {
		try (var files = Files.walk(expected)) {
			for (Path file : files.filter(Files::isRegularFile).toList()) {
				assertThat(actual.resolve(expected.relativize(file).toString())).hasSameBinaryContentAs(file);
			}
		}
		try (var files = Files.walk(actual)) {
			assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(3);
		}
	}

	private static ModelKeys keys(Map<String, String> keys) {
		return new ModelKeys(() -> keys, null);
	}

	private static SecretKey key(String encoded) {
		return keys(Map.of("any", encoded)).key("any");
	}

}
