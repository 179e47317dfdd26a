package io.eino.serving.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

import io.netty.handler.codec.http.HttpHeaders;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Loopback load for the traffic runs: closed loops (a fixed number of connections, each
 * sending its next request when the last is answered) and open loops (requests sent at a
 * fixed rate whatever the answers, as independent users do), over Reactor Netty's client.
 * Every answer is kept with its status, latency, {@code Retry-After} and problem type.
 */
final class LoadDriver implements AutoCloseable {

	static {
		// Logback's default is DEBUG: Reactor Netty's per-request lines would cost the
		// driver more CPU than the requests themselves, on the service's machine.
		((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
			.setLevel(ch.qos.logback.classic.Level.WARN);
	}

	/** How long a request may take before it counts as failed. */
	static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

	private final ConnectionProvider connections = ConnectionProvider.builder("eino-load")
		// Bounded, as a proxy's pool to one backend is, but never the bottleneck: at 4 ×
		// C
		// with answers taking up to the 1 s admission bound, the requests outstanding are
		// about 4 × C × 1 s (C reached 600/s on the 2-core machine, where 512 connections
		// made requests queue in this pool for seconds, not in the service).
		.maxConnections(8192)
		.pendingAcquireMaxCount(-1)
		.pendingAcquireTimeout(REQUEST_TIMEOUT)
		.build();

	private final HttpClient client;

	private final List<String> corpus;

	private final String path;

	LoadDriver(int port, List<String> corpus) {
		this(port, corpus, "sentiment");
	}

	LoadDriver(int port, List<String> corpus, String model) {
		this.path = "/v1/models/" + model + ":predict";
		this.client = HttpClient.create(this.connections)
			.baseUrl("http://127.0.0.1:" + port)
			.responseTimeout(REQUEST_TIMEOUT);
		this.corpus = List.copyOf(corpus);
	}

	/**
	 * One answer.
	 *
	 * @param group who sent it (a scenario's name for its clients)
	 * @param status the HTTP status, 0 when there was none (connection failure, timeout)
	 * @param nanos from send to answer
	 * @param retryAfter the {@code Retry-After} header, or null
	 * @param rule the problem rule of an error answer, or null
	 */
	record Answer(String group, int status, long nanos, String retryAfter, String rule) {
	}

	/** A kind of client: its name, headers per request number, and the model path. */
	record Clients(String group, IntFunction<Map<String, String>> headers) {
	}

	private Mono<Answer> send(Clients clients, int number) {
		String text = this.corpus.get(Math.floorMod(number, this.corpus.size())).replace("\"", "'");
		String body = "{\"instances\": [\"" + text + "\"]}";
		Map<String, String> headers = clients.headers().apply(number);
		long started = System.nanoTime();
		return this.client.headers((out) -> {
			out.set("Content-Type", "application/json");
			headers.forEach(out::set);
		})
			.post()
			.uri(this.path)
			.send(ByteBufFlux.fromString(Mono.just(body)))
			.responseSingle((response, content) -> content.asString().defaultIfEmpty("").map((answer) -> {
				HttpHeaders responseHeaders = response.responseHeaders();
				int status = response.status().code();
				return new Answer(clients.group(), status, System.nanoTime() - started,
						responseHeaders.get("Retry-After"), (status == 200) ? null : rule(answer));
			}))
			.onErrorResume((ex) -> Mono.just(
					new Answer(clients.group(), 0, System.nanoTime() - started, null, ex.getClass().getSimpleName())));
	}

	private static String rule(String problem) {
		int at = problem.indexOf("urn:eino:problem:");
		if (at < 0) {
			return "?";
		}
		int end = problem.indexOf('"', at);
		return problem.substring(at + "urn:eino:problem:".length(), (end < 0) ? problem.length() : end);
	}

	/**
	 * {@code connections} closed loops for {@code duration}; answers to requests sent
	 * within it.
	 */
	List<Answer> closedLoop(Clients clients, int connections, Duration duration) {
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicInteger numbers = new AtomicInteger();
		ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
		Mono<Void> loops = Flux.range(0, connections)
			.flatMap((loop) -> Mono.defer(() -> send(clients, numbers.getAndIncrement()))
				.doOnNext(answers::add)
				.repeat(running::get)
				.then(), connections)
			.then();
		reactor.core.Disposable disposable = loops.subscribe();
		LockSupport.parkNanos(duration.toNanos());
		running.set(false);
		long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos() + 5_000_000_000L;
		while (!disposable.isDisposed() && System.nanoTime() < deadline) {
			LockSupport.parkNanos(10_000_000);
		}
		return new ArrayList<>(answers);
	}

	/**
	 * Open loops: each of {@code groups} sends at its own rate (requests per second) for
	 * {@code duration}, whatever the answers; returns when every answer is in.
	 */
	List<Answer> openLoop(Duration duration, List<Map.Entry<Clients, Double>> groups) {
		ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
		AtomicInteger outstanding = new AtomicInteger();
		List<Thread> senders = new ArrayList<>();
		long start = System.nanoTime() + 50_000_000;
		long end = start + duration.toNanos();
		for (Map.Entry<Clients, Double> group : groups) {
			long interval = (long) (1e9 / group.getValue());
			Thread sender = new Thread(() -> {
				int number = 0;
				for (long next = start; next < end; next += interval) {
					long wait = next - System.nanoTime();
					if (wait > 0) {
						LockSupport.parkNanos(wait);
					}
					outstanding.incrementAndGet();
					send(group.getKey(), number++).subscribe((answer) -> {
						answers.add(answer);
						outstanding.decrementAndGet();
					});
				}
			}, "load-" + group.getKey().group());
			senders.add(sender);
			sender.start();
		}
		for (Thread sender : senders) {
			try {
				sender.join();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos() + 5_000_000_000L;
		while (outstanding.get() > 0 && System.nanoTime() < deadline) {
			LockSupport.parkNanos(10_000_000);
		}
		return new ArrayList<>(answers);
	}

	/** Statistics of some answers over a window of {@code seconds}. */
	record Summary(long sent, long ok, long tooMany, long overloaded, long otherErrors, double goodput,
			double p50Millis, double p99Millis, long refusalsWithoutRetryAfter, List<Long> retryAfterSeconds) {

		static Summary of(List<Answer> answers, double seconds) {
			long[] latencies = answers.stream()
				.filter((answer) -> answer.status() == 200)
				.mapToLong(Answer::nanos)
				.sorted()
				.toArray();
			long ok = latencies.length;
			long tooMany = answers.stream().filter((answer) -> answer.status() == 429).count();
			long overloaded = answers.stream().filter((answer) -> answer.status() == 503).count();
			long other = answers.size() - ok - tooMany - overloaded;
			long withoutRetry = answers.stream()
				.filter((answer) -> answer.status() == 429 || answer.status() == 503)
				.filter((answer) -> answer.retryAfter() == null || !answer.retryAfter().matches("[1-9][0-9]*"))
				.count();
			List<Long> retries = answers.stream()
				.filter((answer) -> answer.retryAfter() != null && answer.retryAfter().matches("[0-9]+"))
				.map((answer) -> Long.parseLong(answer.retryAfter()))
				.distinct()
				.sorted()
				.toList();
			return new Summary(answers.size(), ok, tooMany, overloaded, other, ok / seconds,
					percentile(latencies, 0.50) / 1e6, percentile(latencies, 0.99) / 1e6, withoutRetry, retries);
		}

		double successRate() {
			return (this.sent == 0) ? 0 : (double) this.ok / this.sent;
		}

	}

	static double percentile(long[] sorted, double quantile) {
		if (sorted.length == 0) {
			return Double.NaN;
		}
		return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)];
	}

	static double median(double... values) {
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int middle = sorted.length / 2;
		return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	}

	@Override
	public void close() {
		this.connections.dispose();
	}

}
