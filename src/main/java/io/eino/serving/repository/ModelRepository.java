package io.eino.serving.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import io.eino.serving.security.ModelPackage;

/**
 * What the repository on disk holds: {@code <root>/<model>/<version>/}, TensorFlow
 * Serving's layout, where a version directory holds a SavedModel ({@code saved_model.pb}
 * and {@code variables/}) or one sealed package ({@code model.eino}).
 *
 * <p>
 * Readiness convention: a version directory counts only once it holds the
 * {@value #READY_MARKER} marker file, which the publisher writes last (or which is
 * already inside a directory built under a dot-name and renamed into place). Directories
 * whose names are not numbers, such as {@code .staging-3}, are never versions. A
 * version's fingerprint (sizes and modification times of its model file and marker) tells
 * a changed version from the one loaded.
 */
public final class ModelRepository {

	/** The file that marks a version directory complete. */
	public static final String READY_MARKER = "READY";

	private final Path root;

	private final boolean requireReadyMarker;

	public ModelRepository(Path root, boolean requireReadyMarker) {
		this.root = root;
		this.requireReadyMarker = requireReadyMarker;
	}

	public Path root() {
		return this.root;
	}

	public Path modelDirectory(String model) {
		return this.root.resolve(model);
	}

	/**
	 * One numbered directory of a model.
	 *
	 * @param version its number
	 * @param directory where it is
	 * @param sealed whether it holds a package rather than a SavedModel
	 * @param problem why it cannot be loaded (no model file, no marker), empty when it
	 * can
	 * @param fingerprint changes whenever its model file or marker is replaced
	 */
	public record Version(long version, Path directory, boolean sealed, String problem, String fingerprint) {

		public boolean ready() {
			return this.problem.isEmpty();
		}

	}

	/** The model directories in the repository, by name. */
	public List<String> models() {
		if (!Files.isDirectory(this.root)) {
			return List.of();
		}
		try (Stream<Path> children = Files.list(this.root)) {
			return children.filter(Files::isDirectory)
				.map((path) -> path.getFileName().toString())
				.filter((name) -> !name.startsWith("."))
				.sorted()
				.toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Every numbered directory of a model, ready or not, ascending. */
	public List<Version> versions(String model) {
		Path directory = modelDirectory(model);
		if (!Files.isDirectory(directory)) {
			return List.of();
		}
		List<Version> versions = new ArrayList<>();
		try (Stream<Path> children = Files.list(directory)) {
			for (Path child : children.toList()) {
				String name = child.getFileName().toString();
				if (name.matches("[0-9]{1,18}") && Files.isDirectory(child)) {
					versions.add(describe(Long.parseLong(name), child));
				}
			}
		}
		catch (NoSuchFileException ex) {
			return List.of();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		versions.sort(Comparator.comparingLong(Version::version));
		return versions;
	}

	private Version describe(long number, Path directory) {
		Path savedModel = directory.resolve("saved_model.pb");
		Path sealed = directory.resolve(ModelPackage.FILE_NAME);
		Path marker = directory.resolve(READY_MARKER);
		boolean isSealed = Files.isRegularFile(sealed);
		Path modelFile = isSealed ? sealed : savedModel;
		String problem = "";
		if (!isSealed && !Files.isRegularFile(savedModel)) {
			problem = "no saved_model.pb or " + ModelPackage.FILE_NAME;
		}
		else if (this.requireReadyMarker && !Files.isRegularFile(marker)) {
			problem = "no " + READY_MARKER + " marker yet (still being copied?)";
		}
		return new Version(number, directory, isSealed, problem, fingerprint(modelFile, marker));
	}

	private static String fingerprint(Path... files) {
		StringBuilder fingerprint = new StringBuilder();
		for (Path file : files) {
			try {
				BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
				fingerprint.append(attributes.size())
					.append('@')
					.append(attributes.lastModifiedTime().toMillis())
					.append('#')
					.append(attributes.fileKey())
					.append(';');
			}
			catch (IOException ex) {
				fingerprint.append("-;");
			}
		}
		return fingerprint.toString();
	}

}
