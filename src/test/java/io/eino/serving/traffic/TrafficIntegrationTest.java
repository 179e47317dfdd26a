package io.eino.serving.traffic;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.eino.serving.EinoServingApplication;
import io.eino.serving.LogLines;
import io.eino.serving.LoopbackSockets;
import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Rule;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.sentiment.DefaultModel;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient.ResponseReceiver;
import reactor.netty.resources.ConnectionProvider;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static io.eino.serving.LoopbackSockets.connect;
import static io.eino.serving.LoopbackSockets.readUntilClosed;
import static io.eino.serving.LoopbackSockets.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service under real traffic, over loopback to the real model: client identity
 * through trusted and untrusted proxies, API keys and trusted priorities, admission that
 * serves a light client while another floods, connection limits and timeouts, client
 * disconnects, and last the drain on shutdown (the context closed as the SIGTERM hook
 * closes it). Timeouts are set short here so that the test is quick; docs/traffic.md
 * gives the defaults and the load runs measure them.
 */
@Tag(TestTags.TENSORFLOW)
@ExtendWith(OutputCaptureExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrafficIntegrationTest {

	private static final String TRUSTED_PROXY = "127.0.0.2";

	private static final Duration DRAIN_DELAY = Duration.ofSeconds(1);

	/** How long the load balancer of the shutdown test takes to stop routing here. */
	private static final Duration ENDPOINT_PROPAGATION = Duration.ofMillis(300);

	private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);

	/**
	 * The connections of the clients that stand for a proxy: like any proxy's pool in
	 * front of a server with an idle timeout, it retires idle connections sooner than the
	 * server closes them (with the default pool a connection left idle by one test was
	 * reused by the next as the server closed it).
	 */
	private static final ConnectionProvider PROXY_POOL = ConnectionProvider.builder("traffic-test-proxy")
		.maxIdleTime(IDLE_TIMEOUT.dividedBy(2))
		.build();

	private static final int MAX_CONNECTIONS = 100;

	/** Above the 32 connections of the shutdown test's clients. */
	private static final int MAX_CONNECTIONS_PER_CLIENT = 40;

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static ConfigurableApplicationContext context;

	private static int port;

	private static int managementPort;

	@BeforeAll
	static void start() throws Exception {
		Path repository = TestModels.repository();
		TestModels.linkVersion(repository.resolve("sentiment/" + DefaultModel.VERSION), repository.resolve("quota/1"));
		Files.copy(repository.resolve("sentiment").resolve(ModelDescriptor.FILE_NAME),
				repository.resolve("quota").resolve(ModelDescriptor.FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
		Map<String, String> properties = Map.ofEntries(Map.entry("server.port", "0"),
				Map.entry("management.server.port", "0"), Map.entry("eino.repository.path", repository.toString()),
				// Traffic, not the startup step's choice of graph, is what this test
				// checks.
				Map.entry("eino.runtime.precision", "fp32"), Map.entry("eino.runtime.graph-optimization", "none"),
				Map.entry("eino.models.quota.enabled", "true"),
				Map.entry("eino.clients.trusted-proxies", TRUSTED_PROXY + "/32"),
				Map.entry("eino.security.api-keys.trusted.secret-sha256", TestModels.sha256("trusted-secret")),
				Map.entry("eino.security.api-keys.trusted.max-priority", "5"),
				Map.entry("eino.security.api-keys.small.secret-sha256", TestModels.sha256("small-secret")),
				Map.entry("eino.security.api-keys.small.rate-limit", "2"),
				Map.entry("resilience4j.ratelimiter.instances.quota.limit-for-period", "5"),
				Map.entry("resilience4j.ratelimiter.instances.quota.limit-refresh-period", "1h"),
				Map.entry("eino.server.header-read-timeout", "1s"), Map.entry("eino.server.body-read-timeout", "1s"),
				Map.entry("eino.server.idle-timeout", IDLE_TIMEOUT.toMillis() + "ms"),
				Map.entry("eino.server.max-connections", Integer.toString(MAX_CONNECTIONS)),
				Map.entry("eino.server.max-connections-per-client", Integer.toString(MAX_CONNECTIONS_PER_CLIENT)),
				// Below the public port's limits: those of one port never apply to the
				// other.
				Map.entry("eino.server.management-max-connections", "20"),
				Map.entry("eino.shutdown.drain-delay", DRAIN_DELAY.toMillis() + "ms"));
		// As command-line arguments, which win over application.yaml.
		context = new SpringApplicationBuilder(EinoServingApplication.class).run(properties.entrySet()
			.stream()
			.map((entry) -> "--" + entry.getKey() + "=" + entry.getValue())
			.toArray(String[]::new));
		port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
		managementPort = Integer.parseInt(context.getEnvironment().getProperty("local.management.port"));
		// Models load after the start: wait until both serve.
		long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
		while (System.nanoTime() < deadline && readiness().statusCode() != 200) {
			Thread.sleep(200);
		}
		assertThat(readiness().statusCode()).isEqualTo(200);
	}

	private static HttpResponse<String> readiness() throws IOException, InterruptedException {
		return HTTP.send(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness"))
					.timeout(Duration.ofSeconds(5))
					.build(),
				HttpResponse.BodyHandlers.ofString());
	}

	@AfterAll
	static void stop() {
		if (context != null) {
			context.close();
		}
	}

	private static String body(String... texts) {
		StringBuilder json = new StringBuilder("{\"instances\": [");
		for (int i = 0; i < texts.length; i++) {
			json.append((i > 0) ? ", " : "").append('"').append(texts[i]).append('"');
		}
		return json.append("]}").toString();
	}

	private static HttpResponse<String> predict(String model, Map<String, String> headers, String body)
			throws IOException, InterruptedException {
		HttpRequest.Builder request = HttpRequest
			.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models/" + model + ":predict"))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body));
		headers.forEach(request::header);
		return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	/**
	 * Status codes of predictions sent from {@code localAddress}, one per forwarded hop.
	 */
	private static List<Integer> forwardedFrom(String localAddress, int clients) {
		reactor.netty.http.client.HttpClient client = reactor.netty.http.client.HttpClient.create(PROXY_POOL)
			.bindAddress(() -> new InetSocketAddress(localAddress, 0))
			.baseUrl("http://127.0.0.1:" + port);
		return Flux.range(0, clients).concatMap((i) -> {
			ResponseReceiver<?> receiver = client
				.headers((headers) -> headers.set("Content-Type", "application/json")
					.set("X-Forwarded-For", "6.6.6.6, 198.51.100." + (i + 1)))
				.post()
				.uri("/v1/models/quota:predict")
				.send(reactor.netty.ByteBufFlux.fromString(Mono.just(body("A fine film"))));
			return receiver.responseSingle((response, content) -> content.then(Mono.just(response.status().code())));
		}).collectList().block(Duration.ofSeconds(60));
	}

	@Test
	@Order(1)
	void forwardedAddressesCountAsClientsOnlyThroughATrustedProxy() {
		// The model's quota is 5 an hour per client: 20 distinct clients all pass.
		assertThat(forwardedFrom(TRUSTED_PROXY, 20)).hasSize(20).containsOnly(200);
		// From an untrusted peer the headers mean nothing: one client, 5 pass.
		List<Integer> untrusted = forwardedFrom("127.0.0.1", 20);
		assertThat(untrusted.stream().filter((status) -> status == 200)).hasSize(5);
		assertThat(untrusted.stream().filter((status) -> status == 429)).hasSize(15);
	}

	@Test
	@Order(2)
	void apiKeysAreIdentitiesWithTheirOwnQuotaAndUnknownKeysAreRefused() throws Exception {
		HttpResponse<String> unknown = predict("quota", Map.of("X-Api-Key", "guessed"), body("A fine film"));
		assertThat(unknown.statusCode()).isEqualTo(401);
		assertThat(unknown.headers().firstValue("WWW-Authenticate"))
			.hasValueSatisfying((value) -> assertThat(value).startsWith("ApiKey"));
		assertThat(unknown.body()).contains("urn:eino:problem:unknown-api-key").doesNotContain("guessed");
		for (int i = 0; i < 2; i++) {
			assertThat(predict("quota", Map.of("X-Api-Key", "small-secret"), body("A fine film")).statusCode())
				.isEqualTo(200);
		}
		HttpResponse<String> limited = predict("quota", Map.of("X-Api-Key", "small-secret"), body("A fine film"));
		assertThat(limited.statusCode()).isEqualTo(429);
		assertThat(limited.headers().firstValue("RateLimit-Limit")).hasValue("2");
		assertThat(context.getBean(MeterRegistry.class).getMeters())
			.allSatisfy((meter) -> assertThat(meter.getId().toString()).doesNotContain("small-secret"));
	}

	@Test
	@Order(3)
	void priorityIsHonouredOnlyForKeysGrantedItAndOnlyInTheirRange() throws Exception {
		assertThat(predict("sentiment", Map.of("Eino-Priority", "99"), body("A fine film")).statusCode())
			.as("anonymous: the header is ignored")
			.isEqualTo(200);
		assertThat(
				predict("sentiment", Map.of("Eino-Priority", "5", "X-Api-Key", "trusted-secret"), body("A fine film"))
					.statusCode())
			.isEqualTo(200);
		HttpResponse<String> outside = predict("sentiment", Map.of("Eino-Priority", "7", "X-Api-Key", "trusted-secret"),
				body("A fine film"));
		assertThat(outside.statusCode()).isEqualTo(400);
		assertThat(outside.body()).contains("invalid-header").contains("0 to 5");
	}

	@Test
	@Order(4)
	void aLightClientIsServedWhileAnotherFloodsAndTheFloodIsToldWhenToComeBack() throws Exception {
		String[] texts = new String[16];
		for (int i = 0; i < texts.length; i++) {
			texts[i] = "a long flood of text number " + i + " that keeps the model busy for a while, on and on";
		}
		String flood = body(texts);
		AtomicBoolean flooding = new AtomicBoolean(true);
		ConcurrentLinkedQueue<HttpResponse<String>> floodResponses = new ConcurrentLinkedQueue<>();
		List<Thread> flooders = new ArrayList<>();
		for (int i = 0; i < 32; i++) {
			Thread thread = new Thread(() -> {
				while (flooding.get()) {
					try {
						floodResponses.add(predict("sentiment", Map.of("X-Forwarded-For", "1.1.1.1"), flood));
					}
					catch (IOException | InterruptedException ex) {
						return;
					}
				}
			});
			flooders.add(thread);
		}
		// The flood comes through the trusted proxy as one client; the light client is
		// another address behind it.
		reactor.netty.http.client.HttpClient viaProxy = reactor.netty.http.client.HttpClient.create(PROXY_POOL)
			.bindAddress(() -> new InetSocketAddress(TRUSTED_PROXY, 0))
			.baseUrl("http://127.0.0.1:" + port);
		long floodStarted = System.nanoTime();
		flooders.forEach(Thread::start);
		List<Long> lightMillis = new ArrayList<>();
		int lightFailures = 0;
		try {
			Thread.sleep(1000);
			for (int i = 0; i < 10; i++) {
				long started = System.nanoTime();
				Integer status = viaProxy
					.headers((headers) -> headers.set("Content-Type", "application/json")
						.set("X-Forwarded-For", "198.51.100.200"))
					.post()
					.uri("/v1/models/sentiment:predict")
					.send(reactor.netty.ByteBufFlux.fromString(Mono.just(body("A fine film"))))
					.responseSingle((response, content) -> content.then(Mono.just(response.status().code())))
					.block(Duration.ofSeconds(30));
				lightMillis.add((System.nanoTime() - started) / 1_000_000);
				if (status == null || status != 200) {
					lightFailures++;
				}
				Thread.sleep(50);
			}
		}
		finally {
			flooding.set(false);
			for (Thread thread : flooders) {
				thread.join(30_000);
			}
		}
		double floodSeconds = (System.nanoTime() - floodStarted) / 1e9;
		assertThat(lightFailures).as("light client failures").isZero();
		List<HttpResponse<String>> refused = floodResponses.stream()
			.filter((response) -> response.statusCode() == 503)
			.toList();
		assertThat(refused).as("the flood is refused for time, not queued without bound").isNotEmpty();
		assertThat(refused).allSatisfy((response) -> {
			assertThat(response.body()).contains("urn:eino:problem:overloaded");
			assertThat(response.headers().firstValue("Retry-After"))
				.hasValueSatisfying((value) -> assertThat(Long.parseLong(value)).isPositive());
		});
		// Its 32 connections retry at once on every 503, but a refusal inside the last
		// one's Retry-After is held 250 ms: at most four a second per connection
		// (without the hold, over 11,000 in 13 s here).
		assertThat(refused.size()).as("refusals in %.1f s", floodSeconds)
			.isLessThanOrEqualTo((int) (flooders.size() * (Math.ceil(floodSeconds * 4) + 1)));
		assertThat(context.getBean(MeterRegistry.class).get("eino.admission.refusals.held").counter().count())
			.isPositive();
		// Served, refused for time, or over its quota: never anything else.
		assertThat(floodResponses)
			.allSatisfy((response) -> assertThat(response.statusCode()).as(response.body()).isIn(200, 429, 503));
	}

	@Test
	@Order(5)
	void partialHeadersAndAStalledBodyAreCutOffAndAnUnreadBodyClosesTheConnection(CapturedOutput output)
			throws Exception {
		int before = output.getAll().length();
		try (Socket socket = connect(port)) {
			send(socket, "POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nX-Slow: ");
			long started = System.nanoTime();
			String answer = readUntilClosed(socket, Duration.ofSeconds(10));
			assertThat(answer).startsWith("HTTP/1.1 408");
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
		}
		try (Socket socket = connect(port)) {
			send(socket, "POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
					+ "Content-Length: 500000\r\n\r\n{\"instances\": [\"a");
			String answer = readUntilClosed(socket, Duration.ofSeconds(10));
			assertThat(answer).startsWith("HTTP/1.1 408").contains("urn:eino:problem:body-timeout");
		}
		try (Socket socket = connect(port)) {
			send(socket, "POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
					+ "Content-Length: 1000000000\r\n\r\n{\"instances\"");
			String answer = readUntilClosed(socket, Duration.ofSeconds(10));
			assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("connection: close");
		}
		assertThat(context.getBean(ErrorMetrics.class).count(Rule.INTERNAL_ERROR)).isZero();
		// Reactor drops the stalled body's timeout after the 408: no ERROR for it.
		assertThat(output.getAll().substring(before).lines().filter((line) -> line.contains(" ERROR ")).toList())
			.isEmpty();
	}

	@Test
	@Order(6)
	void oneHostsIdleConnectionsCannotLockOthersOut() throws Exception {
		int perClient = MAX_CONNECTIONS_PER_CLIENT;
		MeterRegistry meters = context.getBean(MeterRegistry.class);
		double closedBefore = counted(meters, "eino.connections.evicted") + counted(meters, "eino.connections.refused");
		List<Socket> idle = new ArrayList<>();
		try {
			// One host opens three times the port's limit and leaves them all idle.
			for (int i = 0; i < 3 * MAX_CONNECTIONS; i++) {
				idle.add(connect(port, "127.0.0.3"));
			}
			long probeStarted = System.nanoTime();
			HttpResponse<String> readiness = readiness();
			assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(200);
			assertThat(Duration.ofNanos(System.nanoTime() - probeStarted)).isLessThan(Duration.ofSeconds(1));
			// Past its share, its new connections were closed as they came (its own
			// idle ones had not been idle a second yet, the least any is before it is
			// replaced: ConnectionLimitTest).
			long stillOpen = idle.stream()
				.filter((socket) -> !LoopbackSockets.closedByPeer(socket, Duration.ofMillis(20)))
				.count();
			assertThat(stillOpen).isEqualTo(perClient);
			assertThat(counted(meters, "eino.connections.evicted") + counted(meters, "eino.connections.refused")
					- closedBefore)
				.isEqualTo(3.0 * MAX_CONNECTIONS - perClient);
			// A new client is served at once.
			assertServedAtOnce("127.0.0.4");
		}
		finally {
			for (Socket socket : idle) {
				socket.close();
			}
		}
	}

	private static double counted(MeterRegistry meters, String counter) {
		return meters.get(counter).tag("port", "public").counter().count();
	}

	/** A prediction on a new connection from {@code from} is answered 200 within 1 s. */
	private static void assertServedAtOnce(String from) throws IOException {
		String body = body("A fine film");
		long started = System.nanoTime();
		try (Socket socket = connect(port, from)) {
			send(socket, "POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
					+ "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
			String answer = readUntilClosed(socket, Duration.ofSeconds(5));
			assertThat(answer).as("from " + from).startsWith("HTTP/1.1 200");
		}
		assertThat(Duration.ofNanos(System.nanoTime() - started)).as("from " + from).isLessThan(Duration.ofSeconds(1));
	}

	@Test
	@Order(7)
	void clientsThatGoAwayMidRequestAreNoErrors(CapturedOutput output) throws Exception {
		int before = output.getAll().length();
		ErrorMetrics errors = context.getBean(ErrorMetrics.class);
		double systemBefore = errors.count(Rule.INTERNAL_ERROR);
		byte[] request = ("POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
				+ "Content-Length: %d\r\n\r\n%s")
			.formatted(body("What a wonderful film", "awful", "fine", "so so").length(),
					body("What a wonderful film", "awful", "fine", "so so"))
			.getBytes(StandardCharsets.UTF_8);
		List<Thread> clients = new ArrayList<>();
		AtomicInteger sent = new AtomicInteger();
		for (int c = 0; c < 10; c++) {
			int offset = c;
			Thread thread = new Thread(() -> {
				for (int i = 0; i < 30; i++) {
					try (Socket socket = connect(port)) {
						socket.getOutputStream().write(request);
						socket.getOutputStream().flush();
						sent.incrementAndGet();
						Thread.sleep((offset * 7 + i * 3) % 25);
						socket.setSoLinger(true, 0);
					}
					catch (IOException | InterruptedException ex) {
						return;
					}
				}
			});
			clients.add(thread);
			thread.start();
		}
		for (Thread thread : clients) {
			thread.join(60_000);
		}
		assertThat(sent).hasValue(300);
		// The service goes on serving, and nobody was paged.
		assertThat(predict("sentiment", Map.of(), body("A fine film")).statusCode()).isEqualTo(200);
		Thread.sleep(500);
		String logged = output.getAll().substring(before);
		LogLines.assertNoErrorOrStackTrace(logged);
		assertThat(errors.count(Rule.INTERNAL_ERROR)).isEqualTo(systemBefore);
		double cancelled = context.getBean(MeterRegistry.class)
			.find("eino.requests")
			.tags("model", "sentiment", "outcome", "cancelled")
			.counters()
			.stream()
			.mapToDouble((counter) -> counter.count())
			.sum();
		assertThat(cancelled).isPositive();
	}

	@Test
	@Order(8)
	void aMalformedIndexRequestOnTheManagementPortIsTheClientsError() throws Exception {
		HttpResponse<String> response = HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/v2/repository/index"))
				.header("Authorization", io.eino.serving.api.ApiTests.managementAuthorization())
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString("[1, 2"))
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(response.body()).contains("urn:eino:problem:malformed-json").doesNotContain("Exception");
	}

	@Test
	@Order(9)
	void shutdownDrainsWithoutFailingARequest() throws Exception {
		// The 32 clients stand for traffic arriving through a load balancer that follows
		// readiness: it keeps routing requests here (on new and kept-alive connections)
		// until it has seen readiness down, which takes it ENDPOINT_PROPAGATION, and then
		// sends this instance nothing more. The drain delay must cover that gap; after it
		// the listener closes. (A client that sends on a kept-alive connection after the
		// listener closed races the close of that idle connection, as with any HTTP/1.1
		// server: that is what the drain delay is there to prevent.)
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicBoolean routed = new AtomicBoolean(true);
		AtomicInteger ok = new AtomicInteger();
		AtomicInteger okWhileDraining = new AtomicInteger();
		AtomicInteger refusedConnections = new AtomicInteger();
		ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
		AtomicInteger closes = new AtomicInteger();
		AtomicLong firstUnready = new AtomicLong();
		List<Thread> clients = new ArrayList<>();
		for (int i = 0; i < 32; i++) {
			Thread thread = new Thread(() -> {
				while (running.get() && routed.get()) {
					try {
						HttpResponse<String> response = predict("sentiment", Map.of(), body("A fine film"));
						if (response.statusCode() == 200) {
							ok.incrementAndGet();
							if (firstUnready.get() != 0) {
								okWhileDraining.incrementAndGet();
							}
						}
						else {
							failures.add(response.statusCode() + " " + response.body());
						}
						if (response.headers().firstValue("Connection").orElse("").equalsIgnoreCase("close")) {
							closes.incrementAndGet();
						}
					}
					catch (ConnectException ex) {
						// Nothing was sent: a load balancer tries another pod.
						refusedConnections.incrementAndGet();
						sleep(20);
					}
					catch (IOException | InterruptedException ex) {
						failures.add(ex.toString());
					}
				}
			});
			clients.add(thread);
			thread.start();
		}
		AtomicLong listenerClosed = new AtomicLong();
		Thread prober = new Thread(() -> {
			while (listenerClosed.get() == 0) {
				try (Socket socket = connect(port)) {
					socket.setSoTimeout(2000);
					send(socket, "GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
					String answer = readUntilClosed(socket, Duration.ofSeconds(2));
					if (answer.startsWith("HTTP/1.1 503") && firstUnready.get() == 0) {
						firstUnready.set(System.nanoTime());
						CompletableFuture.delayedExecutor(ENDPOINT_PROPAGATION.toMillis(), TimeUnit.MILLISECONDS)
							.execute(() -> routed.set(false));
					}
				}
				catch (ConnectException ex) {
					listenerClosed.set(System.nanoTime());
				}
				catch (IOException ex) {
					// a probe cut by the closing listener: try again
				}
				sleep(10);
			}
		});
		Thread.sleep(1500);
		int okBeforeShutdown = ok.get();
		prober.start();
		CountDownLatch closed = new CountDownLatch(1);
		long shutdownStarted = System.nanoTime();
		new Thread(() -> {
			context.close();
			closed.countDown();
		}).start();
		assertThat(closed.await(60, TimeUnit.SECONDS)).isTrue();
		running.set(false);
		for (Thread thread : clients) {
			thread.join(30_000);
		}
		prober.join(10_000);
		assertThat(okBeforeShutdown).isPositive();
		assertThat(failures).as("requests that were sent and failed").isEmpty();
		assertThat(okWhileDraining).as("requests served while the balancer had not yet seen readiness down")
			.hasPositiveValue();
		assertThat(closes).as("responses asking the client to close while draining").hasPositiveValue();
		assertThat(firstUnready).hasPositiveValue();
		assertThat(listenerClosed).hasPositiveValue();
		assertThat(Duration.ofNanos(firstUnready.get() - shutdownStarted)).isLessThan(Duration.ofMillis(500));
		assertThat(Duration.ofNanos(listenerClosed.get() - firstUnready.get()))
			.as("readiness down before the listener closes")
			.isGreaterThanOrEqualTo(DRAIN_DELAY.minusMillis(50));
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
