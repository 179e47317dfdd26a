package io.eino.serving.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.eino.serving.TestModels;
import io.eino.serving.sentiment.DefaultModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The examples of the docs that run the service's commands through {@code bin/} (sealing,
 * inspecting and opening a model package), run after {@code package} against the built
 * jar, in a fresh directory holding the default model as {@code export/3}.
 */
class DocsCommandsIT {

	@Test
	void everyCommandExampleRunsAsWritten(@TempDir Path directory) throws IOException {
		Path project = Path.of("").toAbsolutePath();
		Files.createDirectories(directory.resolve("bin"));
		Files.createSymbolicLink(directory.resolve("bin/eino-model"), project.resolve("bin/eino-model"));
		Path model = TestModels.preparedRepository().resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION);
		try (var files = Files.walk(model)) {
			for (Path file : files.toList()) {
				Path copy = directory.resolve("export/3").resolve(model.relativize(file).toString());
				if (Files.isDirectory(file)) {
					Files.createDirectories(copy);
				}
				else {
					Files.createLink(copy, file);
				}
			}
		}
		Files.createDirectories(directory.resolve("models/sentiment"));
		List<String> ran = new ArrayList<>();
		for (DocsExamples.Block block : DocsExamples.blocks()) {
			if (block.notTested() != null || block.commands().stream().noneMatch(DocsCommandsIT::runsTheJar)) {
				continue;
			}
			// One shell for the block: its exports hold for the commands after them.
			String script = String.join("\n", block.commands().stream().map(DocsExamples.Command::command).toList())
				.replace("/tmp/opened", directory.resolve("opened").toString());
			DocsExamples.run(block.commands().get(0), script, directory,
					Map.of("EINO_JAR", project.resolve("target/eino-serving.jar").toString()));
			ran.add(block.file() + ":" + block.line());
		}
		assertThat(ran).as("the command examples run").isNotEmpty();
		// The package sealed by the example opens back to the model it was sealed from.
		assertThat(directory.resolve("models/sentiment/3/model.eino")).isRegularFile();
		assertThat(directory.resolve("opened/saved_model.pb")).hasSameBinaryContentAs(TestModels.preparedRepository()
			.resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION + "/saved_model.pb"));
	}

	static boolean runsTheJar(DocsExamples.Command command) {
		return command.command().contains("bin/eino-model");
	}

}
