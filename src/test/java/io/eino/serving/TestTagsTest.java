package io.eino.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the fast loop ({@code ./mvnw test -Pfast}) free of TensorFlow sessions: every
 * test class whose source opens a model, a TensorFlow session or the service carries
 * {@link TestTags#TENSORFLOW} (or inherits it from the shared service's context).
 */
class TestTagsTest {

	/** What in a test's source starts TensorFlow sessions. */
	private static final Pattern STARTS_SESSIONS = Pattern.compile("@SpringBootTest|SpringApplication|"
			+ "SavedModelRunner\\.load|SavedModelBundle|new Session\\(|OptimisedGraph\\.open|TestModels\\.repository\\(\\)"
			+ "|DenseModel\\.export|TensorModels\\.install|OnnxImporter|SentimentHeadTrainer");

	@Test
	void everyTestThatStartsSessionsIsLeftOutOfTheFastLoop() throws IOException {
		List<Path> tests;
		try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
			tests = files.filter((file) -> file.getFileName().toString().endsWith("Test.java")).toList();
		}
		assertThat(tests).hasSizeGreaterThan(50);
		List<String> untagged = tests.stream().filter((test) -> {
			String source = read(test);
			return STARTS_SESSIONS.matcher(source).find() && !source.contains("@Tag(TestTags.TENSORFLOW)")
					&& !source.contains("extends DefaultServingContext");
		}).map(Path::toString).toList();
		assertThat(untagged).as("tests that start sessions without @Tag(TestTags.TENSORFLOW)").isEmpty();
		assertThat(read(Path.of("src/test/java/io/eino/serving/api/DefaultServingContext.java")))
			.contains("@Tag(TestTags.TENSORFLOW)");
	}

	private static String read(Path file) {
		try {
			return Files.readString(file);
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

}
