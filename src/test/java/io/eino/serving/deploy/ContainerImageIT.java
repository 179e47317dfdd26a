package io.eino.serving.deploy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.tensorflow.framework.TensorProto;
import io.eino.serving.grpc.TextTensors;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.eino.serving.deploy.DockerCli.awaitHealthy;
import static io.eino.serving.deploy.DockerCli.docker;
import static io.eino.serving.deploy.DockerCli.freePort;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built image, run as the chart runs it: read-only root, user 10001, host networking,
 * tmpfs {@code /tmp} and plaintext workspace, a volume for the startup plans, nothing
 * else writable. Needs a Docker engine and the image ({@code -Deino.image}, default
 * {@code eino-serving:local}, made by {@code bin/build-image}); run by
 * {@code bin/test-image}, not by {@code verify}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerImageIT {

	private static final String IMAGE = System.getProperty("eino.image", "eino-serving:local");

	private static final String PASSWORD = "container-test-password";

	/**
	 * Ready within this on a fresh container (it tunes the model: no plan can be stored).
	 */
	private static final Duration READY_WITHIN = Duration.ofSeconds(240);

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static String container;

	/** The Docker volume of the startup plans, kept from one container to the next. */
	private static String plans;

	private static int httpPort;

	private static int managementPort;

	private static int grpcPort;

	private static Duration ready;

	@BeforeAll
	static void startTheImage() throws Exception {
		httpPort = freePort();
		managementPort = freePort();
		grpcPort = freePort();
		plans = "eino-container-it-plans-" + ProcessHandle.current().pid();
		docker(0, "volume", "create", plans);
		container = "eino-container-it-" + ProcessHandle.current().pid();
		ready = start(container);
		System.out.printf("container ready after %.1f s%n", ready.toMillis() / 1000.0);
	}

	/**
	 * Starts the image as the chart runs it, the plans' volume mounted; the time until
	 * its readiness answers 200.
	 */
	private static Duration start(String name) throws Exception {
		long started = System.nanoTime();
		docker(0, "run", "-d", "--name", name, "--network=host", "--read-only", "--user", "10001:10001", "--tmpfs",
				"/tmp:size=1g,mode=1777", "--tmpfs", "/var/run/eino/plaintext:size=512m,uid=10001,gid=10001,mode=0700",
				"-v", plans + ":/var/cache/eino/plans", "-e", "SERVER_PORT=" + httpPort, "-e",
				"MANAGEMENT_SERVER_PORT=" + managementPort, "-e", "EINO_GRPC_PORT=" + grpcPort, "-e",
				"EINO_MANAGEMENT_PASSWORD=" + PASSWORD, IMAGE);
		long deadline = started + READY_WITHIN.toNanos();
		while (status("/actuator/health/readiness", managementPort, null) != 200) {
			assertThat(System.nanoTime()).as("ready within %s; logs:%n%s", READY_WITHIN, logs(true))
				.isLessThan(deadline);
			assertThat(docker(0, "inspect", "-f", "{{.State.Running}}", name).trim()).as(logs(true)).isEqualTo("true");
			Thread.sleep(500);
		}
		return Duration.ofNanos(System.nanoTime() - started);
	}

	@AfterAll
	static void removeIt() throws Exception {
		if (container != null) {
			docker(-1, "rm", "-f", container);
		}
		if (plans != null) {
			docker(-1, "volume", "rm", "-f", plans);
		}
	}

	@Test
	@Order(1)
	void predictsOverRest() throws Exception {
		HttpResponse<String> response = predict();
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		assertThat(JSON.readTree(response.body()).at("/predictions/0/label").asString()).isEqualTo("positive");
	}

	@Test
	@Order(2)
	void predictsOverGrpc() {
		ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
		try {
			TensorProto text = TextTensors.strings("A wonderful, moving film.");
			PredictResponse response = PredictionServiceGrpc.newBlockingStub(channel)
				.withDeadlineAfter(60, TimeUnit.SECONDS)
				.predict(PredictRequest.newBuilder()
					.setModelSpec(ModelSpec.newBuilder().setName("sentiment"))
					.putInputs("text", text)
					.build());
			assertThat(response.getOutputsMap().get("label").getStringVal(0).toStringUtf8()).isEqualTo("positive");
		}
		finally {
			channel.shutdownNow();
		}
	}

	@Test
	@Order(3)
	void logsJsonLinesOnStandardOutput() throws Exception {
		List<String> lines = logs(false).lines().filter((line) -> !line.isBlank()).toList();
		assertThat(lines).hasSizeGreaterThan(10);
		for (String line : lines) {
			JsonNode event = JSON.readTree(line);
			assertThat(event.has("@timestamp") && event.has("level") && event.has("message")).as(line).isTrue();
		}
		assertThat(lines).anyMatch((line) -> line.contains("Loaded model 'sentiment' version"));
		// The model came with the image: nothing is imported at start.
		assertThat(lines).noneMatch((line) -> line.contains("Preparing the default model"));
	}

	@Test
	@Order(4)
	void itsHealthCheckReportsHealthyToDocker() throws Exception {
		// The image's HEALTHCHECK probes readiness every 10 s, on the configured port.
		awaitHealthy(container, Duration.ofSeconds(20), () -> logs(true));
	}

	@Test
	@Order(5)
	void theManagementPortWantsItsCredentials() throws Exception {
		assertThat(status("/actuator/metrics", managementPort, null)).isEqualTo(401);
		assertThat(status("/actuator/metrics", managementPort, "eino-admin:wrong")).isEqualTo(401);
		assertThat(status("/actuator/metrics", managementPort, "eino-admin:" + PASSWORD)).isEqualTo(200);
		// Probes and the scrape stay open.
		assertThat(status("/actuator/prometheus", managementPort, null)).isEqualTo(200);
	}

	@Test
	@Order(6)
	void writesOnlyItsStartupPlanAndReadsTheNativeLibrariesInPlace() throws Exception {
		// docker diff lists what changed in the container's own filesystem: with a
		// read-only root nothing can, so an entry would be a mount the test did not ask
		// for.
		assertThat(docker(0, "diff", container).trim()).isEmpty();
		String written = docker(0, "exec", container, "find", "/tmp", "/var/run/eino/plaintext",
				"/var/cache/eino/plans", "-xdev", "-type", "f");
		System.out.printf("files written in the mounts:%n%s%n", written.isBlank() ? "(none)" : written);
		// Every native library (TensorFlow's, the tokenizers', Netty's epoll transport,
		// JNA's) is loaded in place from the image: none is extracted into /tmp, which
		// Docker mounts noexec. The files written are the bundled models' startup plans
		// and, for a model whose step chose a rewritten graph, that graph.
		List<String> files = written.lines().sorted().toList();
		assertThat(files)
			.allMatch((file) -> file.matches("/var/cache/eino/plans/(sentiment|all-minilm-l6-v2)/\\d+/"
					+ "(startup-plan\\.json|startup-graph-[0-9a-f]{16}\\.pb)"), "a plan or its graph")
			.anyMatch((file) -> file.matches("/var/cache/eino/plans/sentiment/\\d+/startup-plan\\.json"))
			.anyMatch((file) -> file.matches("/var/cache/eino/plans/all-minilm-l6-v2/\\d+/startup-plan\\.json"));
		assertThat(logs(true)).doesNotContain("cannot be executed").doesNotContain("UnsatisfiedLinkError");
		// The class data archive made at build time is mapped by the running JVM (PID 1).
		assertThat(docker(0, "exec", container, "cat", "/proc/1/maps")).contains("/app/application.jsa");
	}

	/**
	 * SIGTERM while 16 clients send predictions, each behaving as a client behind a load
	 * balancer: it stops sending once it sees readiness down. Every request sent is
	 * answered, and the process exits 0 within the default grace period (30 s).
	 */
	@Test
	@Order(7)
	void drainsOnSigtermWithoutFailingARequest() throws Exception {
		AtomicBoolean routed = new AtomicBoolean(true);
		AtomicInteger sent = new AtomicInteger();
		AtomicInteger answered = new AtomicInteger();
		List<String> failures = Collections.synchronizedList(new ArrayList<>());
		ExecutorService clients = Executors.newFixedThreadPool(17);
		List<Future<?>> running = new ArrayList<>();
		for (int i = 0; i < 16; i++) {
			running.add(clients.submit(() -> {
				while (routed.get()) {
					sent.incrementAndGet();
					try {
						HttpResponse<String> response = predict();
						if (response.statusCode() == 200) {
							answered.incrementAndGet();
						}
						else {
							failures.add(response.statusCode() + " " + response.body());
						}
					}
					catch (ConnectException ex) {
						// The listener had closed before this request was sent: never
						// accepted, so a balancer would have sent it elsewhere.
						sent.decrementAndGet();
					}
					catch (IOException | InterruptedException ex) {
						failures.add(ex.toString());
					}
				}
				return null;
			}));
		}
		Thread.sleep(3000);
		long signalled = System.nanoTime();
		docker(0, "kill", "--signal", "TERM", container);
		// The balancer: it sees readiness down at its next probe, then stops routing.
		while (status("/actuator/health/readiness", managementPort, null) == 200) {
			Thread.sleep(100);
		}
		Thread.sleep(300);
		routed.set(false);
		for (Future<?> client : running) {
			client.get(60, TimeUnit.SECONDS);
		}
		clients.shutdown();
		String exit = docker(0, "wait", container).trim();
		double seconds = (System.nanoTime() - signalled) / 1e9;
		System.out.printf("drain: %d requests sent, %d answered, %d failed; exit %s after %.1f s%n", sent.get(),
				answered.get(), failures.size(), exit, seconds);
		assertThat(failures).isEmpty();
		assertThat(answered.get()).isEqualTo(sent.get()).isGreaterThan(16);
		assertThat(exit).isEqualTo("0");
		assertThat(seconds).isLessThan(30);
	}

	/**
	 * The models in the image are read-only; the first container stored its startup plan
	 * in the plans' volume, and the next one, on the same volume, reuses it instead of
	 * tuning again.
	 */
	@Test
	@Order(8)
	void theNextContainerReusesTheStartupPlan() throws Exception {
		docker(0, "rm", container);
		Duration again = start(container);
		System.out.printf("second container ready after %.1f s (the first: %.1f s)%n", again.toMillis() / 1000.0,
				ready.toMillis() / 1000.0);
		assertThat(logs(false)).contains("Reusing the startup plan")
			.contains("session(s) opened on the stored optimised graph")
			.doesNotContain("Could not store the startup plan");
		assertThat(docker(0, "exec", container, "find", "/var/cache/eino/plans", "-name", "startup-plan.json"))
			.contains("/var/cache/eino/plans/sentiment/");
		assertThat(again).isLessThan(ready);
		HttpResponse<String> response = predict();
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
	}

	private static HttpResponse<String> predict() throws IOException, InterruptedException {
		return DockerCli.predict(HTTP, httpPort);
	}

	private static int status(String path, int port, String credentials) throws InterruptedException {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.timeout(Duration.ofSeconds(5));
		if (credentials != null) {
			request.header("Authorization",
					"Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
		}
		try {
			return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
		}
		catch (IOException ex) {
			return -1;
		}
	}

	/** The container's standard output ({@code false}: alone) or both streams. */
	private static String logs(boolean both) throws Exception {
		ProcessBuilder builder = new ProcessBuilder("docker", "logs", container);
		if (both) {
			builder.redirectErrorStream(true);
		}
		else {
			builder.redirectError(ProcessBuilder.Redirect.DISCARD);
		}
		Process process = builder.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		process.waitFor(30, TimeUnit.SECONDS);
		return output;
	}

}
