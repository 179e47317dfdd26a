package io.eino.serving.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The docker and docker-compose command lines, as the container suites call them (rather
 * than Testcontainers, whose resource reaper is an image that cannot be pulled where no
 * registry is reachable), and what both suites ask of a running container.
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

	/**
	 * Waits until Docker reports {@code container} healthy by its image's HEALTHCHECK;
	 * fails after {@code within}, with {@code diagnostics} (say, its logs) read then.
	 * @return how long it took
	 */
	static Duration awaitHealthy(String container, Duration within, Callable<String> diagnostics) throws Exception {
		long started = System.nanoTime();
		while (!docker(0, "inspect", "-f", "{{.State.Health.Status}}", container).trim().equals("healthy")) {
			if (System.nanoTime() - started > within.toNanos()) {
				throw new AssertionError("not healthy within " + within + ": " + container + "\n" + diagnostics.call());
			}
			Thread.sleep(500);
		}
		return Duration.ofNanos(System.nanoTime() - started);
	}

	/** One text to the default model over REST, on {@code port}. */
	static HttpResponse<String> predict(HttpClient client, int port) throws IOException, InterruptedException {
		return client
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models/sentiment:predict"))
				.header("Content-Type", "application/json")
				.timeout(Duration.ofSeconds(30))
				.POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [\"A wonderful, moving film.\"]}"))
				.build(), HttpResponse.BodyHandlers.ofString());
	}

	static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
