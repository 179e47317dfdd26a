package io.eino.serving.model.loading;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes the startup step's files (a plan, an optimised graph) so that a reader never
 * sees half of one: into a file of their own beside the target, readable by all, then
 * moved over it (atomically where the file system can).
 */
final class PlanFiles {

	/** Writes the staged file's content. */
	@FunctionalInterface
	interface Content {

		void writeTo(Path staged) throws IOException;

	}

	private PlanFiles() {
	}

	/**
	 * The part of a plan's key that names its files: 16 hex digits of the SHA-256, enough
	 * to tell apart the few plans a version keeps (the files hold the whole key).
	 */
	static String shortKey(String key) {
		return key.substring(0, Math.min(16, key.length()));
	}

	/**
	 * Replaces {@code file} with what {@code content} writes; the staged file's name
	 * starts with {@code .startup-}, which the plan key ignores.
	 */
	static void replace(Path file, Content content) throws IOException {
		Files.createDirectories(file.getParent());
		Path staged = Files.createTempFile(file.getParent(), ".startup-", ".tmp");
		try {
			staged.toFile().setReadable(true, false);
			content.writeTo(staged);
			try {
				Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			}
			catch (AtomicMoveNotSupportedException ex) {
				Files.move(staged, file, StandardCopyOption.REPLACE_EXISTING);
			}
		}
		finally {
			Files.deleteIfExists(staged);
		}
	}

}
