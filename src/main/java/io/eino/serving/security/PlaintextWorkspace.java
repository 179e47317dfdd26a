package io.eino.serving.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A private directory ({@code rwx------}) on a memory-backed filesystem (tmpfs or ramfs),
 * where a decrypted model version lives only while TensorFlow reads it: TensorFlow Java
 * loads a SavedModel from a directory, never from memory. Closing it deletes everything
 * in it; the service closes it as soon as the version's sessions are open, so plaintext
 * never reaches persistent disk and is gone from the filesystem right after the load.
 */
public final class PlaintextWorkspace implements AutoCloseable {

	private static final Set<String> MEMORY_FILESYSTEMS = Set.of("tmpfs", "ramfs");

	private final Path path;

	private PlaintextWorkspace(Path path) {
		this.path = path;
	}

	/**
	 * Creates a workspace under {@code root}, or under the first memory-backed candidate
	 * ({@code /dev/shm}, then {@code $XDG_RUNTIME_DIR}) when root is null.
	 * @param neededBytes the space the plaintext takes
	 * @throws IllegalStateException if the root is not memory-backed or lacks the space
	 */
	public static PlaintextWorkspace create(Path root, long neededBytes) {
		Path parent = (root != null) ? root : defaultRoot();
		try {
			String type = filesystemType(parent);
			if (!MEMORY_FILESYSTEMS.contains(type)) {
				throw new IllegalStateException("Refusing to write decrypted model files to " + parent + " (filesystem "
						+ type + "): it is not memory-backed; set eino.encryption.plaintext-directory to a tmpfs");
			}
			FileStore store = Files.getFileStore(parent);
			if (store.getUsableSpace() < neededBytes) {
				throw new IllegalStateException("The decrypted model needs " + (neededBytes >> 20) + " MiB in " + parent
						+ ", which has " + (store.getUsableSpace() >> 20)
						+ " MiB free; mount a larger tmpfs there or set" + " eino.encryption.plaintext-directory");
			}
			Path directory = Files.createTempDirectory(parent, "eino-model-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
			return new PlaintextWorkspace(directory);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** The memory-backed directory used when none is configured. */
	public static Path defaultRoot() {
		List<Path> candidates = new ArrayList<>();
		candidates.add(Path.of("/dev/shm"));
		String runtime = System.getenv("XDG_RUNTIME_DIR");
		if (runtime != null && !runtime.isBlank()) {
			candidates.add(Path.of(runtime));
		}
		for (Path candidate : candidates) {
			if (Files.isDirectory(candidate) && Files.isWritable(candidate)
					&& MEMORY_FILESYSTEMS.contains(filesystemType(candidate))) {
				return candidate;
			}
		}
		throw new IllegalStateException("No memory-backed directory for decrypted models (tried " + candidates
				+ "); set eino.encryption.plaintext-directory to a tmpfs mount");
	}

	/** The filesystem type of a directory ({@code tmpfs}, {@code ext4}, ...). */
	public static String filesystemType(Path directory) {
		try {
			return Files.getFileStore(directory).type();
		}
		catch (IOException ex) {
			return "unknown (" + ex.getMessage() + ")";
		}
	}

	public Path path() {
		return this.path;
	}

	/** Deletes the directory and everything in it. */
	@Override
	public void close() {
		if (!Files.exists(this.path)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(this.path)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not remove the decrypted model in " + this.path, ex);
		}
	}

}
