package io.eino.serving.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.eino.serving.runtime.Datatype;
import io.swagger.v3.oas.annotations.media.Schema;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Datatypes are named by {@link Datatype} only (docs/architecture.md): no main source
 * spells one as a string literal, except the OpenAPI annotation, which must be a constant
 * and is checked against the enum here.
 */
class DatatypeLiteralsTest {

	private static final Pattern LITERAL = Pattern
		.compile("\"(" + String.join("|", Arrays.stream(Datatype.values()).map(Datatype::name).toList()) + ")\"");

	@Test
	void noMainSourceSpellsADatatypeAsAString() throws IOException {
		try (Stream<Path> files = Files.walk(Path.of("src", "main", "java"))) {
			List<String> spelled = files.filter((file) -> file.toString().endsWith(".java"))
				.filter((file) -> !file.endsWith(Path.of("api", "ApiSchemas.java")))
				.flatMap(DatatypeLiteralsTest::literals)
				.toList();
			assertThat(spelled).as("datatypes spelled as strings instead of Datatype").isEmpty();
		}
	}

	@Test
	void theApiDocumentationListsTheServedDatatypes() throws Exception {
		Class<?> tensor = Class.forName("io.eino.serving.api.ApiSchemas$Tensor");
		Schema schema = tensor.getDeclaredField("datatype").getAnnotation(Schema.class);
		assertThat(schema.allowableValues()).containsExactlyInAnyOrderElementsOf(Datatype.servedNames());
	}

	private static Stream<String> literals(Path file) {
		try {
			List<String> lines = Files.readAllLines(file);
			return java.util.stream.IntStream.range(0, lines.size())
				.filter((i) -> LITERAL.matcher(lines.get(i)).find())
				.mapToObj((i) -> file + ":" + (i + 1) + ": " + lines.get(i).strip());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
