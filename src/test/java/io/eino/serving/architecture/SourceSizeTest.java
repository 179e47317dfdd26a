package io.eino.serving.architecture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No class in {@code src/main} over 300 lines (docs/architecture.md): a class that grows
 * past it holds more than one thing, and is split.
 */
class SourceSizeTest {

	private static final int MAX_LINES = 300;

	@Test
	void noMainSourceFileIsOverThreeHundredLines() throws IOException {
		try (Stream<Path> files = Files.walk(Path.of("src", "main", "java"))) {
			List<String> over = files.filter((file) -> file.toString().endsWith(".java")).flatMap((file) -> {
				try {
					long lines = Files.readAllLines(file).size();
					return (lines > MAX_LINES) ? Stream.of(file + " (" + lines + " lines)") : Stream.empty();
				}
				catch (IOException ex) {
					throw new java.io.UncheckedIOException(ex);
				}
			}).toList();
			assertThat(over).as("main source files over %d lines", MAX_LINES).isEmpty();
		}
	}

}
