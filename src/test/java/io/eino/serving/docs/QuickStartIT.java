package io.eino.serving.docs;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.eino.serving.TestModels;
import io.eino.serving.sentiment.DefaultModel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's quick start, after {@code package}: its {@code java -jar} command starts
 * the built jar as a newcomer would (with free ports and the test repository in the
 * environment, so that nothing else on the machine is touched), then the README's
 * {@code curl} example runs against it and the gRPC port answers its health check. The
 * repository is the one this build's unit tests prepared
 * ({@link TestModels#preparedRepository}), so the start is a later start, reusing the
 * default model's stored plan; the startup step itself ran in the unit tests' default
 * context.
 */
class QuickStartIT {

	static final String START = "java -jar target/eino-serving.jar";

	@Test
	void theReadmesQuickStartServes() throws Exception {
		DocsExamples.Block quickStart = DocsExamples.blocks()
			.stream()
			.filter((block) -> block.file().toString().equals("README.md"))
			.filter((block) -> block.commands().stream().anyMatch(QuickStartIT::starts))
			.findFirst()
			.orElseThrow();
		int port = freePort();
		int management = freePort();
		int grpc = freePort();
		Path log = Path.of("target", "quick-start.log");
		Path repository = TestModels.preparedRepository();
		boolean planned = Files
			.exists(repository.resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION + "/startup-plan.json"));
		ProcessBuilder builder = new ProcessBuilder("bash", "-c", "exec " + START).redirectErrorStream(true)
			.redirectOutput(log.toFile());
		builder.environment()
			.putAll(Map.of("SERVER_PORT", Integer.toString(port), "MANAGEMENT_SERVER_PORT",
					Integer.toString(management), "EINO_GRPC_PORT", Integer.toString(grpc), "EINO_REPOSITORY_PATH",
					repository.toString(), "EINO_MANAGEMENT_PASSWORD", "quick-start"));
		Process service = builder.start();
		try {
			awaitReady(service, management, log);
			if (planned) {
				// What the README says of later starts: the stored plan is reused.
				assertThat(Files.readString(log)).contains("Reusing the startup plan");
			}
			List<DocsExamples.Block> readme = DocsExamples.blocks()
				.stream()
				.filter((block) -> block.file().toString().equals("README.md") && block.notTested() == null)
				.toList();
			assertThat(readme).isNotEmpty();
			for (DocsExamples.Block block : readme) {
				for (DocsExamples.Command command : block.commands()) {
					DocsExamples.run(command, command.command().replace("localhost:8080", "localhost:" + port),
							Path.of("."), Map.of());
				}
			}
			ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc).usePlaintext().build();
			try {
				// The gRPC health service polls the readiness indicators every second.
				HealthCheckResponse.ServingStatus status = null;
				long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
				while (status != HealthCheckResponse.ServingStatus.SERVING && System.nanoTime() < deadline) {
					status = HealthGrpc.newBlockingStub(channel)
						.withDeadlineAfter(10, TimeUnit.SECONDS)
						.check(HealthCheckRequest.getDefaultInstance())
						.getStatus();
					Thread.sleep(100);
				}
				assertThat(status).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
			}
			finally {
				channel.shutdownNow();
			}
			assertThat(quickStart.commands()).anyMatch(QuickStartIT::starts);
		}
		finally {
			service.destroy();
			service.waitFor(30, TimeUnit.SECONDS);
		}
	}

	static boolean starts(DocsExamples.Command command) {
		return command.command().equals(START);
	}

	private static void awaitReady(Process service, int management, Path log) throws Exception {
		HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
		while (System.nanoTime() < deadline) {
			assertThat(service.isAlive()).as("the service runs; its log:%n%s", tail(log)).isTrue();
			try {
				HttpResponse<String> ready = client.send(HttpRequest
					.newBuilder(URI.create("http://127.0.0.1:" + management + "/actuator/health/readiness"))
					.build(), HttpResponse.BodyHandlers.ofString());
				if (ready.statusCode() == 200) {
					return;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			Thread.sleep(250);
		}
		throw new AssertionError("The service was not ready within 180 s; its log:\n" + tail(log));
	}

	private static String tail(Path log) throws IOException {
		List<String> lines = Files.readAllLines(log);
		return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
