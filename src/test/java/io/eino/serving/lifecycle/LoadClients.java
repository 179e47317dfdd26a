package io.eino.serving.lifecycle;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Closed-loop clients on loopback, each with its own API key, predicting one text after
 * another and recording every answer's status, {@code Eino-Model-Version} and latency,
 * while the test marks the windows in which it swaps versions. Bounded: the test stops
 * them, and each request times out after 30 s.
 */
final class LoadClients implements AutoCloseable {

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static final String[] TEXTS = { "A wonderful, moving film.", "The plot was dull and far too long.",
			"Service was quick and the staff were friendly.", "I would not recommend this hotel to anyone." };

	private final List<Thread> threads = new ArrayList<>();

	private final List<List<Sample>> samples = new ArrayList<>();

	private final List<long[]> windows = new CopyOnWriteArrayList<>();

	private final AtomicBoolean running = new AtomicBoolean(true);

	/**
	 * One answer.
	 *
	 * @param startNanos when it was sent
	 * @param latencyNanos until the answer
	 * @param status its HTTP status, 0 when it failed without one
	 * @param version its {@code Eino-Model-Version}, -1 when absent
	 * @param error what went wrong, empty when nothing did
	 */
	record Sample(long startNanos, long latencyNanos, int status, long version, String error) {

		boolean failed() {
			return this.status != 200 || !this.error.isEmpty();
		}

	}

	/** Something the test does while the clients run. */
	interface Action {

		void run() throws Exception;

	}

	static LoadClients start(int count, int port, String model) {
		LoadClients clients = new LoadClients();
		for (int i = 0; i < count; i++) {
			List<Sample> own = new ArrayList<>();
			clients.samples.add(own);
			String client = "client-" + i;
			int offset = i;
			Thread thread = new Thread(() -> {
				int n = offset;
				while (clients.running.get()) {
					own.add(call(port, "/v1/models/" + model + ":predict", TEXTS[n++ % TEXTS.length], client));
				}
			}, "load-" + client);
			clients.threads.add(thread);
			thread.start();
		}
		return clients;
	}

	static HttpResponse<String> predict(int port, String path, String text, String client) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.header("X-Api-Key", client)
			.POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [\"" + text + "\"]}"))
			.build();
		return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
	}

	private static Sample call(int port, String path, String text, String client) {
		long started = System.nanoTime();
		try {
			HttpResponse<String> response = predict(port, path, text, client);
			long version = response.headers().firstValue("Eino-Model-Version").map(Long::parseLong).orElse(-1L);
			String error = (response.statusCode() == 200) ? "" : response.body();
			return new Sample(started, System.nanoTime() - started, response.statusCode(), version, error);
		}
		catch (Exception ex) {
			return new Sample(started, System.nanoTime() - started, 0, -1, ex.toString());
		}
	}

	void steady(Duration duration) throws InterruptedException {
		Thread.sleep(duration.toMillis());
	}

	/** Runs an action and marks its duration as a swap window. */
	void swap(Action action) throws Exception {
		long started = System.nanoTime();
		try {
			action.run();
		}
		finally {
			this.windows.add(new long[] { started, System.nanoTime() });
		}
	}

	Result stop() throws InterruptedException {
		this.running.set(false);
		for (Thread thread : this.threads) {
			thread.join(60_000);
		}
		return new Result(this.samples, this.windows);
	}

	@Override
	public void close() throws InterruptedException {
		if (this.running.get()) {
			stop();
		}
	}

	/** What the clients saw. */
	static final class Result {

		private final List<List<Sample>> perClient;

		private final List<long[]> windows;

		private Result(List<List<Sample>> perClient, List<long[]> windows) {
			this.perClient = perClient;
			this.windows = List.copyOf(windows);
		}

		int total() {
			return this.perClient.stream().mapToInt(List::size).sum();
		}

		List<String> failures() {
			return this.perClient.stream()
				.flatMap(List::stream)
				.filter(Sample::failed)
				.map((sample) -> sample.status() + " " + sample.error())
				.toList();
		}

		/**
		 * The clients whose answers' versions decreased at some point, with the sequence.
		 */
		List<String> backwards() {
			List<String> backwards = new ArrayList<>();
			for (int client = 0; client < this.perClient.size(); client++) {
				long highest = Long.MIN_VALUE;
				for (Sample sample : this.perClient.get(client)) {
					if (sample.version() < highest) {
						backwards.add("client-" + client + ": " + highest + " then " + sample.version());
						break;
					}
					highest = Math.max(highest, sample.version());
				}
			}
			return backwards;
		}

		Set<Long> versionsSeen() {
			Set<Long> versions = new TreeSet<>();
			this.perClient.forEach((client) -> client.forEach((sample) -> versions.add(sample.version())));
			return versions;
		}

		Set<Long> lastVersions() {
			Set<Long> versions = new TreeSet<>();
			for (List<Sample> client : this.perClient) {
				if (!client.isEmpty()) {
					versions.add(client.get(client.size() - 1).version());
				}
			}
			return versions;
		}

		List<Sample> duringSwap() {
			return this.perClient.stream().flatMap(List::stream).filter(this::overlapsSwap).toList();
		}

		List<Sample> steady() {
			return this.perClient.stream().flatMap(List::stream).filter((sample) -> !overlapsSwap(sample)).toList();
		}

		private boolean overlapsSwap(Sample sample) {
			long end = sample.startNanos() + sample.latencyNanos();
			return this.windows.stream().anyMatch((window) -> sample.startNanos() < window[1] && end > window[0]);
		}

		/** p50, p99 and max latency, steady against during the swaps, as a table. */
		String latencyTable() {
			List<Sample> steady = steady();
			List<Sample> swap = duringSwap();
			double steadyP99 = percentile(steady, 0.99);
			double swapP99 = percentile(swap, 0.99);
			return String.format(
					"| phase | requests | p50 ms | p99 ms | max ms |%n|---|---|---|---|---|%n"
							+ "| steady | %d | %.1f | %.1f | %.1f |%n| during swaps | %d | %.1f | %.1f | %.1f |%n%n"
							+ "p99 during swaps ÷ steady p99 = %.2f×%n",
					steady.size(), percentile(steady, 0.5), steadyP99, percentile(steady, 1.0), swap.size(),
					percentile(swap, 0.5), swapP99, percentile(swap, 1.0), swapP99 / steadyP99);
		}

		private static double percentile(List<Sample> samples, double quantile) {
			if (samples.isEmpty()) {
				return Double.NaN;
			}
			long[] sorted = samples.stream().mapToLong(Sample::latencyNanos).sorted().toArray();
			int index = (int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1);
			return sorted[Math.max(0, index)] / 1e6;
		}

	}

}
