package io.eino.serving.docs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.eino.serving.api.ApiTests;
import io.eino.serving.api.DefaultServingContext;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every example of the README and {@code docs/} that calls the service ({@code curl} to
 * ports 8080 and 8081) runs here against the running service of
 * {@link DefaultServingContext}, its ports rewritten, and prints what the example says it
 * prints. Examples that run the jar's commands are {@code DocsCommandsIT}'s; every other
 * block says why it is not run.
 */
class DocsExamplesIntegrationTest extends DefaultServingContext {

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@Test
	void everyServiceExampleRunsAsWritten() {
		List<String> ran = new ArrayList<>();
		for (DocsExamples.Block block : DocsExamples.blocks()) {
			if (block.notTested() != null || block.commands().stream().noneMatch(DocsExamplesIntegrationTest::calls)) {
				continue;
			}
			for (DocsExamples.Command command : block.commands()) {
				assertThat(calls(command)).as("%s: a service example holds only calls of the service", command)
					.isTrue();
				String shell = command.command()
					.replace("localhost:8080", "localhost:" + this.port)
					.replace("localhost:8081", "localhost:" + this.managementPort);
				DocsExamples.run(command, shell, Path.of("."),
						Map.of("EINO_MANAGEMENT_PASSWORD", ApiTests.MANAGEMENT_PASSWORD));
				ran.add(command.toString());
			}
		}
		assertThat(ran).as("the service examples run").hasSizeGreaterThanOrEqualTo(10);
	}

	@Test
	void everyBlockIsRunSomewhereOrSaysWhyNot() {
		for (DocsExamples.Block block : DocsExamples.blocks()) {
			boolean service = block.commands().stream().anyMatch(DocsExamplesIntegrationTest::calls);
			boolean commands = block.commands().stream().anyMatch(DocsCommandsIT::runsTheJar);
			assertThat(block.notTested() != null || service || commands)
				.as("%s:%d is run by a test or says no-test (why)", block.file(), block.line())
				.isTrue();
		}
	}

	static boolean calls(DocsExamples.Command command) {
		return command.command().startsWith("curl ")
				&& (command.command().contains("localhost:8080") || command.command().contains("localhost:8081"));
	}

}
