package io.eino.serving.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * {@code eino-model seal | open | inspect}: seals a model version directory into one
 * AES-256-GCM package, opens one back into a directory, or prints a package's header.
 * Keys come from {@code EINO_MODEL_KEY} ({@link ModelKeys}).
 */
public final class ModelPackageCommand {

	static final String USAGE = """
			usage: eino-model seal <version-directory> <package-file> [--key-id ID]
			       eino-model open <package-file> <empty-directory>
			       eino-model inspect <package-file>
			keys: EINO_MODEL_KEY=<base64 32 bytes> or EINO_MODEL_KEY=<id>:<base64>[,<id>:<base64>...]""";

	private ModelPackageCommand() {
	}

	public static void main(String[] args) {
		int status = run(args, System.getenv(ModelKeys.ENVIRONMENT_VARIABLE));
		if (status != 0) {
			System.exit(status);
		}
	}

	/** Runs the command; returns the exit status (0 success, 1 failure, 2 usage). */
	static int run(String[] args, String environmentKeys) {
		List<String> positional = new ArrayList<>();
		String keyId = null;
		for (int i = 0; i < args.length; i++) {
			if (args[i].equals("--key-id") && i + 1 < args.length) {
				keyId = args[++i];
			}
			else {
				positional.add(args[i]);
			}
		}
		String command = positional.isEmpty() ? "" : positional.get(0);
		ModelKeys keys = ModelKeys.fromEnvironment(environmentKeys);
		try {
			switch (command) {
				case "seal" -> {
					require(positional, 3);
					String id = sealingKeyId(keyId, keys.ids());
					ModelPackage.Header header = ModelPackage.seal(Path.of(positional.get(1)),
							Path.of(positional.get(2)), id, keys.key(id));
					System.out.printf("Sealed %s into %s with key '%s' (%d bytes)%n", positional.get(1),
							positional.get(2), header.keyId(), header.headerLength() + header.ciphertextLength());
				}
				case "open" -> {
					require(positional, 3);
					Path target = Path.of(positional.get(2));
					boolean created = !Files.exists(target);
					Files.createDirectories(target);
					try (var entries = Files.list(target)) {
						if (!created && entries.findAny().isPresent()) {
							throw new IllegalArgumentException(target + " is not empty");
						}
					}
					try {
						ModelPackage.Header header = ModelPackage.open(Path.of(positional.get(1)), keys, target);
						System.out.printf("Opened %s into %s with key '%s'%n", positional.get(1), target,
								header.keyId());
					}
					catch (RuntimeException ex) {
						if (created) {
							Files.deleteIfExists(target);
						}
						throw ex;
					}
				}
				case "inspect" -> {
					require(positional, 2);
					Path file = Path.of(positional.get(1));
					ModelPackage.Header header = ModelPackage.inspect(file);
					System.out.printf(
							"format version: %d%nkey id: %s%ncipher: AES-256-GCM, 128-bit tag, header"
									+ " authenticated%nnonce: %s%nsize: %d bytes%n",
							header.formatVersion(), header.keyId(), HexFormat.of().formatHex(header.nonce()),
							Files.size(file));
				}
				default -> {
					System.err.println(USAGE);
					return 2;
				}
			}
			return 0;
		}
		catch (UsageException ex) {
			System.err.println(USAGE);
			return 2;
		}
		catch (PackageException | IllegalArgumentException | IllegalStateException | IOException
				| java.io.UncheckedIOException ex) {
			System.err.println("eino-model " + command + ": " + ex.getMessage());
			return 1;
		}
	}

	private static String sealingKeyId(String requested, Set<String> available) {
		if (requested != null) {
			return requested;
		}
		if (available.size() == 1) {
			return available.iterator().next();
		}
		throw new IllegalArgumentException(available.isEmpty()
				? "No key: set " + ModelKeys.ENVIRONMENT_VARIABLE + " (base64 of 32 random bytes)"
				: "Several keys in " + ModelKeys.ENVIRONMENT_VARIABLE + " " + available + "; choose one with --key-id");
	}

	private static void require(List<String> positional, int count) {
		if (positional.size() != count) {
			throw new UsageException();
		}
	}

	private static final class UsageException extends RuntimeException {

	}

}
