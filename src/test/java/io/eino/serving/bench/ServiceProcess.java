package io.eino.serving.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged service started as its own process on loopback ports, for the benchmark.
 */
final class ServiceProcess implements AutoCloseable {

	private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(3);

	private final Process process;

	private final int port;

	private ServiceProcess(Process process, int port) {
		this.process = process;
		this.port = port;
	}

	/** The management password of the services started here: loopback only, one run. */
	private static final String MANAGEMENT_PASSWORD = java.util.UUID.randomUUID().toString();

	/**
	 * Starts {@code jar} with {@code properties} (nothing else changed from the defaults)
	 * and waits until it is ready.
	 */
	static ServiceProcess start(Path jar, Path log, int port, List<String> properties)
			throws IOException, InterruptedException {
		return start(jar, log, port, properties, 0);
	}

	/**
	 * Starts {@code jar} as {@link #start(Path, Path, int, List)} does, under a
	 * file-descriptor limit of its own when {@code descriptorLimit} is positive (set with
	 * the shell's {@code ulimit}, so that a load driver may hold more than the service).
	 */
	static ServiceProcess start(Path jar, Path log, int port, List<String> properties, int descriptorLimit)
			throws IOException, InterruptedException {
		List<String> command = new ArrayList<>();
		if (descriptorLimit > 0) {
			command.addAll(List.of("bash", "-c", "ulimit -n " + descriptorLimit + " && exec \"$0\" \"$@\""));
		}
		command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g", "-jar",
				jar.toString(), "--server.port=" + port, "--server.address=127.0.0.1",
				"--management.server.port=" + (port + 1), "--management.server.address=127.0.0.1",
				// gRPC beside the two HTTP ports; the management password that get()
				// sends.
				"--eino.grpc.port=" + (port + 2), "--eino.management.password=" + MANAGEMENT_PASSWORD));
		properties.forEach((property) -> command.add("--" + property));
		Files.createDirectories(log.getParent());
		Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		ServiceProcess service = new ServiceProcess(process, port);
		service.awaitReady(log);
		return service;
	}

	int port() {
		return this.port;
	}

	long pid() {
		return this.process.pid();
	}

	/** Resident memory in KiB, from /proc. */
	long residentKilobytes() throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc", Long.toString(this.process.pid()), "status"))) {
			if (line.startsWith("VmRSS:")) {
				return Long.parseLong(line.replaceAll("[^0-9]", ""));
			}
		}
		throw new IOException("No VmRSS for process " + this.process.pid());
	}

	/** A GET on the public port. */
	String getPublic(String path) throws IOException, InterruptedException {
		return HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path)).build(),
					HttpResponse.BodyHandlers.ofString())
			.body();
	}

	String get(String path) throws IOException, InterruptedException {
		HttpClient client = HttpClient.newHttpClient();
		HttpResponse<String> response = client
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (this.port + 1) + path))
				.header("Authorization",
						"Basic " + java.util.Base64.getEncoder()
							.encodeToString(("eino-admin:" + MANAGEMENT_PASSWORD).getBytes()))
				.build(), HttpResponse.BodyHandlers.ofString());
		return response.body();
	}

	private void awaitReady(Path log) throws IOException, InterruptedException {
		HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		URI readiness = URI.create("http://127.0.0.1:" + (this.port + 1) + "/actuator/health/readiness");
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			if (!this.process.isAlive()) {
				throw new IOException("The service exited during startup; see " + log);
			}
			try {
				HttpResponse<Void> response = client.send(HttpRequest.newBuilder(readiness).build(),
						HttpResponse.BodyHandlers.discarding());
				if (response.statusCode() == 200) {
					return;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			Thread.sleep(500);
		}
		close();
		throw new IOException("The service was not ready within " + STARTUP_TIMEOUT + "; see " + log);
	}

	/** Sends SIGTERM and waits for the process to exit. */
	void terminate() throws InterruptedException {
		this.process.destroy();
		this.process.waitFor(60, TimeUnit.SECONDS);
	}

	@Override
	public void close() throws InterruptedException {
		this.process.destroy();
		if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
			this.process.destroyForcibly().waitFor();
		}
	}

}
