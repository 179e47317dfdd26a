package io.eino.serving.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The docker and docker-compose command lines, as the container suites call them (rather
 * than Testcontainers, whose resource reaper is an image that cannot be pulled where no
 * registry is reachable).
 */
final class DockerCli {

	private DockerCli() {
	}

	/** Runs docker; {@code expectedExit} -1 accepts any exit. */
	static String docker(int expectedExit, String... arguments) throws Exception {
		List<String> command = new ArrayList<>(List.of("docker"));
		command.addAll(List.of(arguments));
		return run(expectedExit, command);
	}

	/**
	 * Runs {@code command} to its end (output and errors together); {@code expectedExit}
	 * -1 accepts any exit.
	 */
	static String run(int expectedExit, List<String> command) throws Exception {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(600, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
		if (expectedExit >= 0) {
			assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isEqualTo(expectedExit);
		}
		return output;
	}

	/** The standard output of {@code command}, which must exit 0 (errors discarded). */
	static String output(List<String> command) throws Exception {
		Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
		assertThat(process.exitValue()).as(String.join(" ", command)).isZero();
		return output;
	}

	static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
