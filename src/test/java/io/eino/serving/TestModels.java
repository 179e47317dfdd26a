package io.eino.serving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.eino.serving.repository.DefaultModelInstaller;
import io.eino.serving.repository.ModelDescriptor;

/**
 * Test fixtures: the default model prepared once per build in
 * {@code target/test-repository}, and the project's sentiment evaluation set.
 */
public final class TestModels {

	public static final Path REPOSITORY = Path.of("target", "test-repository").toAbsolutePath();

	private TestModels() {
	}

	/** The repository with the default model in it (prepared on first use). */
	public static synchronized Path repository() {
		try {
			new DefaultModelInstaller().installIfMissing(REPOSITORY);
			return REPOSITORY;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
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
						&& !file.getFileName().toString().equals(EinoProperties.Repository.READY_MARKER)) {
					Files.createLink(link, file);
				}
			}
			Files.createFile(staging.resolve(EinoProperties.Repository.READY_MARKER));
			Files.move(staging, target);
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

}
