package io.eino.serving.bench;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import io.eino.serving.bench.LoadDriver.Answer;
import io.eino.serving.bench.LoadDriver.Clients;
import io.eino.serving.bench.LoadDriver.Summary;

import static io.eino.serving.LoopbackSockets.connect;
import static io.eino.serving.LoopbackSockets.readUntilClosed;

/**
 * The traffic runs of docs/traffic.md ({@code bench/traffic.sh}): the packaged service in
 * its default configuration ("guarded") beside the same service with admission and rate
 * limits off ("reference", which only measures the capacity C), on loopback.
 *
 * <p>
 * In rounds, on the guarded service: one client at 64 connections; 64 clients (forwarded
 * addresses, as behind a sidecar) at 4 × C; that flood beside 8 light clients at 2
 * requests/s each; the flood again asking for priority 9 anonymously, then through a
 * trusted API key. C (64 closed loops on the reference) is measured before the first
 * scenario, between the second and the third, and after the last; each scenario is a
 * ratio to the mean of the two measurements around it (the machine's speed drifts within
 * a round), and medians over rounds are reported. With {@code --profile}, an extra
 * unmeasured flood is profiled first. Then once: idle connections at 3 × the public
 * connection limit, partial headers, 300 clients that go away mid-request, and SIGTERM
 * under 32 clients. Writes {@code target/bench/traffic.md} and {@code traffic.json}.
 */
public final class TrafficLoad {

	private static final String TRUSTED_KEY = "bench-trusted-key";

	private static final int FLOOD_CLIENTS = 64;

	private static final int LIGHT_CLIENTS = 8;

	private static final double LIGHT_RATE = 2;

	/** Idle sockets one host holds in the connection run. */
	private static final int IDLE_SOCKETS = 25_000;

	/** The file-descriptor limit of the services: this machine's default. */
	private static final int DESCRIPTOR_LIMIT = 20_000;

	private TrafficLoad() {
	}

	public static void main(String[] args) throws Exception {
		int rounds = 5;
		Duration duration = Duration.ofSeconds(15);
		boolean connections = true;
		boolean profile = false;
		boolean nice = false;
		int shutdownRuns = 5;
		for (String arg : args) {
			if (arg.startsWith("--rounds=")) {
				rounds = Integer.parseInt(arg.substring("--rounds=".length()));
			}
			else if (arg.startsWith("--duration=")) {
				duration = Duration.ofSeconds(Long.parseLong(arg.substring("--duration=".length())));
			}
			else if (arg.equals("--no-connections")) {
				connections = false;
			}
			else if (arg.equals("--profile")) {
				profile = true;
			}
			else if (arg.equals("--nice")) {
				nice = true;
			}
			else if (arg.startsWith("--shutdown-runs=")) {
				shutdownRuns = Integer.parseInt(arg.substring("--shutdown-runs=".length()));
			}
		}
		Path out = Path.of("target", "bench");
		Path jar = Path.of("target", "eino-serving.jar");
		Path repository = out.resolve("repository").toAbsolutePath();
		List<String> corpus = Files.readAllLines(Path.of("bench", "corpus.txt"))
			.stream()
			.flatMap((line) -> java.util.Arrays.stream(line.split("(?<=[.!?])\\s+")))
			.filter((sentence) -> !sentence.isBlank())
			.toList();
		List<String> common = List.of("eino.repository.path=" + repository);
		List<String> guardedProperties = new ArrayList<>(common);
		// An API key is configuration a user adds; it changes no default.
		guardedProperties.add("eino.security.api-keys.trusted.secret-sha256="
				+ io.eino.serving.client.ClientResolver.sha256(TRUSTED_KEY));
		guardedProperties.add("eino.security.api-keys.trusted.max-priority=9");
		List<String> referenceProperties = new ArrayList<>(common);
		referenceProperties.add("eino.admission.max-queue-time=0s");
		referenceProperties.add("eino.rate-limit.enabled=false");
		Map<String, List<Map<String, Double>>> rows = new LinkedHashMap<>();
		Map<String, List<Map<Double, Double>>> serviceLatency = new LinkedHashMap<>();
		StringBuilder report = new StringBuilder();
		try (ServiceProcess reference = ServiceProcess.start(jar, out.resolve("traffic-reference.log"), 18090,
				referenceProperties, DESCRIPTOR_LIMIT);
				ServiceProcess guarded = ServiceProcess.start(jar, out.resolve("traffic-guarded.log"), 18080,
						guardedProperties, DESCRIPTOR_LIMIT);
				LoadDriver referenceLoad = new LoadDriver(reference.port(), corpus);
				LoadDriver load = new LoadDriver(guarded.port(), corpus)) {
			// The driver shares the 2 cores with the services. At normal priority (the
			// default) it competes with them as any process on the machine would; with
			// --nice it yields them (nice 19) and sends with the CPU they leave idle.
			if (nice) {
				Cpu.yieldToOthers();
			}
			// Warm both services and this driver (JIT, connection pools) before
			// anything is measured: a cold driver spends more CPU than the service.
			Summary warm = Summary.of(referenceLoad.closedLoop(anonymous("warm"), 64, Duration.ofSeconds(10)), 10);
			load.closedLoop(anonymous("warm"), 64, Duration.ofSeconds(10));
			load.openLoop(Duration.ofSeconds(20),
					List.of(Map.entry(forwarded("warm", Map.of()), 4 * Math.max(50, warm.goodput()))));
			if (profile) {
				// Profiling costs the service CPU: its flood is not one of the measured.
				Thread profiler = profile(guarded, duration, out);
				load.openLoop(duration, List.of(Map.entry(forwarded("flood", Map.of()), 4 * warm.goodput())));
				profiler.join();
			}
			for (int round = 1; round <= rounds; round++) {
				// C is measured right before and right after the scenarios it is compared
				// with, and their mean taken: the machine's speed drifts within a round.
				Capacity before = capacity(referenceLoad, reference, duration);
				Cpu cpu = Cpu.start(guarded.pid());
				Summary single = Summary.of(load.closedLoop(anonymous("single"), 64, duration), seconds(duration));
				Cpu.Used singleCpu = cpu.stop();
				Clients flood = forwarded("flood", Map.of());
				cpu = Cpu.start(guarded.pid());
				Map<Double, Double> histogramBefore = ServiceLatency.snapshot(guarded);
				Summary flooded = Summary.of(load.openLoop(duration, List.of(Map.entry(flood, 4 * before.c()))),
						seconds(duration));
				Map<Double, Double> histogramAfter = ServiceLatency.snapshot(guarded);
				Cpu.Used floodedCpu = cpu.stop();
				serviceLatency.put("64 clients at 4 × C", List.of(histogramBefore, histogramAfter));
				Capacity between = capacity(referenceLoad, reference, duration);
				Capacity first = Capacity.mean(before, between);
				record(rows, "capacity C (reference, 64 connections)", first.summary(), first.c(), first.cpu(),
						first.cpu());
				record(rows, "one client at 64 connections", single, first.c(), singleCpu, first.cpu());
				record(rows, "64 clients at 4 × C", flooded, first.c(), floodedCpu, first.cpu());
				recordService(rows, "64 clients at 4 × C", serviceLatency.remove("64 clients at 4 × C"));
				// The flood scenarios are recorded once C after them is known.
				List<java.util.function.Consumer<Capacity>> later = new ArrayList<>();
				floodAndLight(rows, later, load, guarded, "flood + light clients", flood, between.c(), duration);
				floodAndLight(rows, later, load, guarded, "anonymous priority-9 flood + light clients",
						forwarded("flood", Map.of("Eino-Priority", "9")), between.c(), duration);
				floodAndLight(rows, later, load, guarded, "trusted priority-9 flood + light clients",
						new Clients("flood", (n) -> Map.of("X-Api-Key", TRUSTED_KEY, "Eino-Priority", "9")),
						between.c(), duration);
				Capacity after = capacity(referenceLoad, reference, duration);
				Capacity second = Capacity.mean(between, after);
				later.forEach((scenario) -> scenario.accept(second));
				System.out.println("Round " + round + " done: C = " + Math.round(before.c()) + ", "
						+ Math.round(between.c()) + ", " + Math.round(after.c()) + " predictions/s");
			}
			if (!rows.isEmpty()) {
				report.append(table(rows));
			}
			if (connections) {
				report.append(connectionRuns(guarded, out.resolve("traffic-guarded.log")));
				report.append(shutdowns(guarded, shutdownRuns, jar, out, guardedProperties));
			}
		}
		Files.createDirectories(out);
		Files.writeString(out.resolve("traffic.md"), report.toString());
		Files.writeString(out.resolve("traffic.json"), json(rows));
		System.out.println(report);
	}

	/**
	 * The service's own p99 (the bound of the histogram bucket that holds it) and share
	 * within 1.5 s of a scenario's successful requests, added to its last row.
	 */
	private static void recordService(Map<String, List<Map<String, Double>>> rows, String name,
			List<Map<Double, Double>> histogram) {
		Map<String, Double> row = rows.get(name).get(rows.get(name).size() - 1);
		row.put("service_p99_bucket_s", ServiceLatency.p99Bound(histogram.get(0), histogram.get(1)));
		row.put("service_within_1500ms", ServiceLatency.within(histogram.get(0), histogram.get(1), 1.5));
		System.out.printf("  %-50s service: p99 within %s s, %.2f %% within 1.5 s%n", name,
				row.get("service_p99_bucket_s"), 100 * row.get("service_within_1500ms"));
	}

	/** One measurement of C on the reference, with the CPU it took. */
	private record Capacity(Summary summary, double c, Cpu.Used cpu) {

		/** Two measurements as one: C and cores averaged, answers pooled. */
		static Capacity mean(Capacity a, Capacity b) {
			Summary pooled = new Summary(a.summary().sent() + b.summary().sent(), a.summary().ok() + b.summary().ok(),
					a.summary().tooMany() + b.summary().tooMany(), a.summary().overloaded() + b.summary().overloaded(),
					a.summary().otherErrors() + b.summary().otherErrors(), (a.c() + b.c()) / 2,
					(a.summary().p50Millis() + b.summary().p50Millis()) / 2,
					Math.max(a.summary().p99Millis(), b.summary().p99Millis()),
					a.summary().refusalsWithoutRetryAfter() + b.summary().refusalsWithoutRetryAfter(),
					a.summary().retryAfterSeconds());
			return new Capacity(pooled, (a.c() + b.c()) / 2, Cpu.Used.mean(a.cpu(), b.cpu()));
		}

	}

	private static Capacity capacity(LoadDriver referenceLoad, ServiceProcess reference, Duration duration)
			throws IOException {
		Cpu cpu = Cpu.start(reference.pid());
		Summary capacity = Summary.of(referenceLoad.closedLoop(anonymous("capacity"), 64, duration), seconds(duration));
		return new Capacity(capacity, capacity.goodput(), cpu.stop());
	}

	private static double seconds(Duration duration) {
		return duration.toNanos() / 1e9;
	}

	/**
	 * Records a CPU profile of {@code service} over most of the next {@code duration}, in
	 * the background, into {@code out}/flood-profile.collapsed (folded stacks).
	 */
	private static Thread profile(ServiceProcess service, Duration duration, Path out) {
		long seconds = Math.max(1, duration.toSeconds() - 3);
		Thread thread = new Thread(() -> {
			try {
				Thread.sleep(2000);
				Files.writeString(out.resolve("flood-profile.collapsed"),
						service.get("/actuator/profile?mode=cpu&format=collapsed&seconds=" + seconds));
			}
			catch (IOException | InterruptedException ex) {
				System.out.println("  profile failed: " + ex);
			}
		}, "profile");
		thread.start();
		return thread;
	}

	private static Clients anonymous(String group) {
		return new Clients(group, (n) -> Map.of());
	}

	/** Clients behind the (trusted, loopback) proxy, each a forwarded address. */
	private static Clients forwarded(String group, Map<String, String> extra) {
		IntFunction<Map<String, String>> headers = (n) -> {
			Map<String, String> values = new LinkedHashMap<>(extra);
			values.put("X-Forwarded-For", "198.51." + (100 + Math.floorMod(n, FLOOD_CLIENTS) / 250) + "."
					+ (1 + Math.floorMod(n, FLOOD_CLIENTS) % 250));
			return values;
		};
		return new Clients(group, headers);
	}

	private static void floodAndLight(Map<String, List<Map<String, Double>>> rows,
			List<java.util.function.Consumer<Capacity>> later, LoadDriver load, ServiceProcess service, String name,
			Clients flood, double c, Duration duration) throws IOException, InterruptedException {
		Cpu cpu = Cpu.start(service.pid());
		Map<Double, Double> histogramBefore = ServiceLatency.snapshot(service);
		List<Map.Entry<Clients, Double>> groups = new ArrayList<>();
		groups.add(Map.entry(flood, 4 * c));
		for (int i = 0; i < LIGHT_CLIENTS; i++) {
			String address = "203.0.113." + (i + 1);
			groups.add(Map.entry(new Clients("light", (n) -> Map.of("X-Forwarded-For", address)), LIGHT_RATE));
		}
		List<Answer> answers = load.openLoop(duration, groups);
		Map<Double, Double> histogramAfter = ServiceLatency.snapshot(service);
		Cpu.Used used = cpu.stop();
		Summary floodSummary = Summary.of(answers.stream().filter((answer) -> answer.group().equals("flood")).toList(),
				seconds(duration));
		Summary lightSummary = Summary.of(answers.stream().filter((answer) -> answer.group().equals("light")).toList(),
				seconds(duration));
		later.add((capacity) -> {
			record(rows, name + ": flood", floodSummary, capacity.c(), used, capacity.cpu());
			// The service's histogram does not tell clients apart: flood and light
			// together.
			recordService(rows, name + ": flood", List.of(histogramBefore, histogramAfter));
			record(rows, name + ": light", lightSummary, capacity.c(), used, capacity.cpu());
		});
	}

	/**
	 * One scenario's figures; {@code used} is the CPU the service and this driver took
	 * meanwhile, {@code capacityCpu} what the reference took while C was measured.
	 */
	private static void record(Map<String, List<Map<String, Double>>> rows, String name, Summary summary, double c,
			Cpu.Used used, Cpu.Used capacityCpu) {
		Map<String, Double> row = new LinkedHashMap<>();
		row.put("sent", (double) summary.sent());
		row.put("goodput", summary.goodput());
		row.put("goodput_over_c", summary.goodput() / c);
		row.put("service_cores", used.serviceCores());
		row.put("driver_cores", used.driverCores());
		row.put("idle_cores", used.idleCores());
		row.put("interrupt_cores", used.interruptCores());
		// Goodput per core the service had, against C per core the reference had: whether
		// the service still turns its CPU into answers, whatever the driver took.
		row.put("goodput_per_core_over_c",
				(summary.goodput() / used.serviceCores()) / (c / Math.max(1e-9, capacityCpu.serviceCores())));
		row.put("success", summary.successRate());
		row.put("p50_ms", summary.p50Millis());
		row.put("p99_ms", summary.p99Millis());
		row.put("429", (double) summary.tooMany());
		row.put("503", (double) summary.overloaded());
		row.put("other_errors", (double) summary.otherErrors());
		row.put("refusals_without_retry_after", (double) summary.refusalsWithoutRetryAfter());
		row.put("retry_after_distinct", (double) summary.retryAfterSeconds().size());
		rows.computeIfAbsent(name, (key) -> new ArrayList<>()).add(row);
		System.out.printf("  %-50s %s, Retry-After values %s%n", name, row, summary.retryAfterSeconds());
	}

	private static String table(Map<String, List<Map<String, Double>>> rows) {
		StringBuilder table = new StringBuilder("## Overload (medians over rounds; ratios to the same round's C)\n\n"
				+ "| scenario | goodput / C | success | p50 ms | p99 ms | 429 | 503 | other errors | refusals without Retry-After "
				+ "| service cores | driver cores | idle cores | interrupt cores | goodput per service core / C's "
				+ "| service p99 within s | service within 1.5 s |\n"
				+ "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
		rows.forEach((name, measured) -> table.append(String.format(java.util.Locale.ROOT,
				"| %s | %.2f | %.1f %% | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s |%n",
				name, median(measured, "goodput_over_c"), 100 * median(measured, "success"), median(measured, "p50_ms"),
				median(measured, "p99_ms"), median(measured, "429"), median(measured, "503"),
				median(measured, "other_errors"), median(measured, "refusals_without_retry_after"),
				median(measured, "service_cores"), median(measured, "driver_cores"), median(measured, "idle_cores"),
				median(measured, "interrupt_cores"), median(measured, "goodput_per_core_over_c"),
				serviceFigure(measured, "service_p99_bucket_s", 1),
				serviceFigure(measured, "service_within_1500ms", 100))));
		table.append("\nC per round (predictions/s): ")
			.append(rows.values()
				.iterator()
				.next()
				.stream()
				.map((row) -> Long.toString(Math.round(row.get("goodput"))))
				.toList())
			.append("\n\nGoodput / C per round:\n\n");
		rows.forEach((name, measured) -> table.append("- ")
			.append(name)
			.append(": ")
			.append(measured.stream()
				.map((row) -> String.format(java.util.Locale.ROOT, "%.2f", row.get("goodput_over_c")))
				.toList())
			.append('\n'));
		table.append('\n');
		return table.toString();
	}

	/** The median of a service figure where the scenario has one, else a dash. */
	private static String serviceFigure(List<Map<String, Double>> measured, String key, double scale) {
		double[] values = measured.stream()
			.filter((row) -> row.containsKey(key))
			.mapToDouble((row) -> scale * row.get(key))
			.toArray();
		if (values.length == 0) {
			return "–";
		}
		String figure = String.format(java.util.Locale.ROOT, "%.4g", LoadDriver.median(values));
		return (scale == 100) ? figure + " %" : figure;
	}

	private static double median(List<Map<String, Double>> measured, String key) {
		return LoadDriver.median(measured.stream().mapToDouble((row) -> row.get(key)).toArray());
	}

	private static String json(Map<String, List<Map<String, Double>>> rows) {
		StringBuilder json = new StringBuilder("{\n");
		int i = 0;
		for (Map.Entry<String, List<Map<String, Double>>> entry : rows.entrySet()) {
			json.append("  \"")
				.append(entry.getKey())
				.append("\": ")
				.append(entry.getValue()
					.toString()
					.replace("=", "\": ")
					.replace("{", "{\"")
					.replace(", ", ", \"")
					.replace("}, \"{", "}, {")
					.replace("NaN", "null"));
			json.append((++i < rows.size()) ? ",\n" : "\n");
		}
		return json.append("}\n").toString();
	}

	/** Connection limits, timeouts, disconnects and shutdown, on the default settings. */
	private static String connectionRuns(ServiceProcess guarded, Path log) throws Exception {
		StringBuilder report = new StringBuilder("## Connections and shutdown (default settings)\n\n");
		int port = guarded.port();
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
		// Partial headers.
		try (Socket socket = connect(port, "127.0.0.1")) {
			socket.getOutputStream().write("POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\n".getBytes());
			long started = System.nanoTime();
			String answer = readUntilClosed(socket, Duration.ofSeconds(30));
			report.append(String.format("- partial headers: `%s` after %.1f s%n", firstLine(answer),
					(System.nanoTime() - started) / 1e9));
		}
		// Idle connections: 25,000 from one host, more than the port's limit, held by two
		// helper processes (one process has as few descriptors as the service).
		int limit = publicConnectionLimit(log);
		String hog = "127.0.0.3";
		List<Process> holders = new ArrayList<>();
		List<java.io.BufferedReader> replies = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
					"-cp", System.getProperty("java.class.path"), IdleConnections.class.getName(),
					Integer.toString(IDLE_SOCKETS / 2), hog, Integer.toString(port))
				.redirectError(ProcessBuilder.Redirect.INHERIT)
				.start();
			holders.add(holder);
			replies.add(new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())));
		}
		List<String> openedLines = new ArrayList<>();
		for (java.io.BufferedReader reply : replies) {
			openedLines.add(reply.readLine());
		}
		long probeStarted = System.nanoTime();
		HttpResponse<String> readiness = http
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (port + 1) + "/actuator/health/readiness"))
				.timeout(Duration.ofSeconds(10))
				.build(), HttpResponse.BodyHandlers.ofString());
		double probeMillis = (System.nanoTime() - probeStarted) / 1e6;
		// A new client, then (its sockets idle a second by now) the host itself.
		String newClient = predictOnNewConnection(port, "127.0.0.1");
		Thread.sleep(1000);
		String sameHost = predictOnNewConnection(port, hog);
		List<String> stillOpen = new ArrayList<>();
		for (int i = 0; i < holders.size(); i++) {
			holders.get(i).getOutputStream().close();
			stillOpen.add(replies.get(i).readLine());
			holders.get(i).waitFor();
		}
		report.append(String.format(
				"- %,d idle connections from one host (%s; port limit %,d, %,d per client): %s; management "
						+ "readiness answered %d in %.0f ms; a new client's prediction on a new connection: %s; the "
						+ "host's own, a second later: %s; afterwards still open per holder: %s; %s%n",
				IDLE_SOCKETS, hog, limit, limit / 4, openedLines, readiness.statusCode(), probeMillis, newClient,
				sameHost, stillOpen,
				firstLine(value(guarded.get("/actuator/metrics/eino.connections.evicted?tag=port:public")))
						+ " evicted, "
						+ firstLine(value(guarded.get("/actuator/metrics/eino.connections.refused?tag=port:public")))
						+ " refused"));
		Thread.sleep(2000);
		// 300 clients that go away mid-request.
		long errorsBefore = errorLines(log);
		String body = "{\"instances\": [\"What a wonderful film\", \"awful\", \"fine\", \"so so\"]}";
		byte[] request = ("POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
				+ "Content-Length: " + body.length() + "\r\n\r\n" + body)
			.getBytes(StandardCharsets.UTF_8);
		for (int i = 0; i < 300; i++) {
			try (Socket socket = connect(port, "127.0.0.1")) {
				socket.getOutputStream().write(request);
				Thread.sleep(i % 20);
				socket.setSoLinger(true, 0);
			}
		}
		Thread.sleep(2000);
		String metrics = guarded.get("/actuator/metrics/eino.requests?tag=outcome:cancelled");
		String system = guarded.get("/actuator/metrics/eino.errors?tag=tier:system");
		report.append(String.format(
				"- 300 clients gone mid-request: %d new ERROR lines in the log; eino.requests "
						+ "cancelled: %s; system-tier errors: %s%n",
				errorLines(log) - errorsBefore, value(metrics), value(system)));
		return report.toString();
	}

	/**
	 * SIGTERM under 32 keep-alive clients, {@code runs} times: on {@code guarded}, then
	 * each time on a fresh start of the same configuration.
	 */
	private static String shutdowns(ServiceProcess guarded, int runs, Path jar, Path out, List<String> properties)
			throws Exception {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
		StringBuilder report = new StringBuilder();
		for (int run = 1; run <= runs; run++) {
			if (run == 1) {
				report.append("- run 1: ").append(shutdown(guarded, http));
				continue;
			}
			try (ServiceProcess fresh = ServiceProcess.start(jar, out.resolve("traffic-shutdown-" + run + ".log"),
					guarded.port(), properties, DESCRIPTOR_LIMIT)) {
				report.append("- run ").append(run).append(": ").append(shutdown(fresh, http));
			}
		}
		return report.toString();
	}

	/**
	 * A prediction on a new connection from {@code from}: its status line and how long it
	 * took, or how it failed.
	 */
	private static String predictOnNewConnection(int port, String from) {
		String body = "{\"instances\": [\"A fine film\"]}";
		long started = System.nanoTime();
		try (Socket socket = connect(port, from)) {
			socket.getOutputStream()
				.write(("POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
						+ "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
					.getBytes(StandardCharsets.UTF_8));
			String answer = readUntilClosed(socket, Duration.ofSeconds(10));
			return String.format("`%s` from %s in %.0f ms", firstLine(answer), from,
					(System.nanoTime() - started) / 1e6);
		}
		catch (IOException ex) {
			return "failed from " + from + ": " + ex;
		}
	}

	private static String shutdown(ServiceProcess guarded, HttpClient http) throws Exception {
		int port = guarded.port();
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicInteger ok = new AtomicInteger();
		AtomicInteger refused = new AtomicInteger();
		AtomicInteger closes = new AtomicInteger();
		ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
		AtomicLong terminatedAt = new AtomicLong();
		List<Thread> clients = new ArrayList<>();
		for (int i = 0; i < 32; i++) {
			Thread thread = new Thread(() -> {
				while (running.get()) {
					long sent = System.nanoTime();
					try {
						HttpResponse<String> response = http.send(HttpRequest
							.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models/sentiment:predict"))
							.header("Content-Type", "application/json")
							.POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [\"A fine film\"]}"))
							.timeout(Duration.ofSeconds(30))
							.build(), HttpResponse.BodyHandlers.ofString());
						if (response.statusCode() == 200) {
							ok.incrementAndGet();
						}
						else {
							failures.add(Integer.toString(response.statusCode()));
						}
						if (response.headers().firstValue("Connection").orElse("").equalsIgnoreCase("close")) {
							closes.incrementAndGet();
						}
					}
					catch (ConnectException ex) {
						refused.incrementAndGet();
						pause(20);
					}
					catch (IOException | InterruptedException ex) {
						// When, from SIGTERM, the request that failed was sent.
						failures.add(ex + " (sent " + Math.round(millisSince(terminatedAt.get(), sent))
								+ " ms after SIGTERM)");
					}
				}
			});
			clients.add(thread);
			thread.start();
		}
		AtomicLong publicUnready = new AtomicLong();
		AtomicLong managementUnready = new AtomicLong();
		AtomicLong listenerClosed = new AtomicLong();
		Thread prober = new Thread(() -> {
			while (listenerClosed.get() == 0) {
				probe(port, "/v2/health/ready", publicUnready, listenerClosed);
				probe(port + 1, "/actuator/health/readiness", managementUnready, new AtomicLong());
				pause(10);
			}
		});
		Thread.sleep(3000);
		prober.start();
		long terminated = System.nanoTime();
		terminatedAt.set(terminated);
		guarded.terminate();
		long exited = System.nanoTime();
		running.set(false);
		for (Thread thread : clients) {
			thread.join(30_000);
		}
		prober.join(5_000);
		return String.format(
				"- SIGTERM under 32 closed-loop clients: %d answered 200, %d failed after being sent %s, %d connects "
						+ "refused after the listener closed (nothing sent), %d responses with Connection: close; "
						+ "public readiness 503 after %.0f ms, management readiness 503 after %.0f ms, listener closed "
						+ "%.0f ms after public readiness turned 503; process exited after %.1f s%n",
				ok.get(), failures.size(), failures.stream().limit(10).toList(), refused.get(), closes.get(),
				millisSince(terminated, publicUnready.get()), millisSince(terminated, managementUnready.get()),
				(listenerClosed.get() - publicUnready.get()) / 1e6, (exited - terminated) / 1e9);
	}

	private static double millisSince(long start, long at) {
		return (at == 0) ? Double.NaN : (at - start) / 1e6;
	}

	private static void probe(int port, String path, AtomicLong unready, AtomicLong closed) {
		try (Socket socket = connect(port, "127.0.0.1")) {
			socket.getOutputStream()
				.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes());
			String answer = readUntilClosed(socket, Duration.ofSeconds(2));
			if (answer.startsWith("HTTP/1.1 503") && unready.get() == 0) {
				unready.set(System.nanoTime());
			}
		}
		catch (ConnectException ex) {
			if (closed.get() == 0) {
				closed.set(System.nanoTime());
			}
		}
		catch (IOException ex) {
			// cut by the closing listener; the next probe tells
		}
	}

	/** The limit the service logged at start ("Public port: at most N connections"). */
	private static int publicConnectionLimit(Path log) throws IOException {
		for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
			int at = line.indexOf("Public port: at most ");
			if (at >= 0) {
				String rest = line.substring(at + "Public port: at most ".length());
				return Integer.parseInt(rest.substring(0, rest.indexOf(' ')));
			}
		}
		throw new IOException("The service logged no connection limit in " + log);
	}

	private static String value(String metric) {
		int at = metric.indexOf("\"value\":");
		return (at < 0) ? metric : metric.substring(at + 8, metric.indexOf('}', at));
	}

	private static long errorLines(Path log) throws IOException {
		return Files.readAllLines(log, StandardCharsets.ISO_8859_1)
			.stream()
			.filter((line) -> line.contains(" ERROR "))
			.count();
	}

	private static void pause(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static String firstLine(String text) {
		int end = text.indexOf('\r');
		return (end < 0) ? text : text.substring(0, end);
	}

}
