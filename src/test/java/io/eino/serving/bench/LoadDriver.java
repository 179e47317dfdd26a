package io.eino.serving.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntFunction;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;

/**
 * Loopback load for the traffic runs: closed loops (a fixed number of connections, each
 * sending its next request when the last is answered) and open loops (requests sent at a
 * fixed rate whatever the answers, as independent users do). Every answer is kept with
 * its status, latency, {@code Retry-After} and problem type.
 *
 * <p>
 * The driver shares the service's 2 cores, so every microsecond it spends per request is
 * taken from the service under test: it is plain Netty on one event-loop thread (HTTP/1.1
 * keep-alive connections from its own pool, request bodies encoded once, a response's
 * body read only when it is an error). Measured in one round each at 4 × C: 0.15 cores
 * against 0.21 for Reactor Netty's client; most of what remains is the kernel's loopback
 * work, which Linux charges to the sending process.
 */
final class LoadDriver implements AutoCloseable {

	static {
		// Logback's default is DEBUG: per-request lines would cost the driver more CPU
		// than the requests themselves, on the service's machine.
		((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
			.setLevel(ch.qos.logback.classic.Level.WARN);
	}

	/** How long a request may take before it counts as failed. */
	static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

	/**
	 * Bounded, as a proxy's pool to one backend is, but never the bottleneck: at 4 × C
	 * with answers taking up to the 1 s admission bound, about 4 × C × 1 s requests are
	 * outstanding (C reached 650/s on the 2-core machine).
	 */
	private static final int MAX_CONNECTIONS = 8192;

	private static final AttributeKey<Pending> PENDING = AttributeKey.valueOf("eino.load.pending");

	private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

	private final Bootstrap bootstrap;

	private final ConcurrentLinkedDeque<Channel> idle = new ConcurrentLinkedDeque<>();

	private final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();

	private final AtomicInteger open = new AtomicInteger();

	private final byte[][] bodies;

	private final String path;

	private final String host;

	LoadDriver(int port, List<String> corpus) {
		this(port, corpus, "sentiment");
	}

	LoadDriver(int port, List<String> corpus, String model) {
		this.path = "/v1/models/" + model + ":predict";
		this.host = "127.0.0.1:" + port;
		this.bodies = corpus.stream()
			.map((text) -> ("{\"instances\": [\"" + text.replace("\"", "'") + "\"]}").getBytes(StandardCharsets.UTF_8))
			.toArray(byte[][]::new);
		this.bootstrap = new Bootstrap().group(this.group)
			.channel(NioSocketChannel.class)
			.remoteAddress("127.0.0.1", port)
			.option(ChannelOption.TCP_NODELAY, true)
			.handler(new ChannelInitializer<SocketChannel>() {
				@Override
				protected void initChannel(SocketChannel channel) {
					channel.pipeline()
						.addLast(new HttpClientCodec())
						.addLast(new HttpObjectAggregator(1 << 20))
						.addLast(new Responses());
				}
			});
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

	/** A request on its way: what to send, and where its answer goes. */
	private final class Pending {

		final FullHttpRequest request;

		final String group;

		final Consumer<Answer> done;

		final long started = System.nanoTime();

		ScheduledFuture<?> timeout;

		Pending(FullHttpRequest request, String group, Consumer<Answer> done) {
			this.request = request;
			this.group = group;
			this.done = done;
		}

		void answer(int status, String retryAfter, String rule) {
			if (this.timeout != null) {
				this.timeout.cancel(false);
			}
			this.done.accept(new Answer(this.group, status, System.nanoTime() - this.started, retryAfter, rule));
		}

	}

	private void send(Clients clients, int number, Consumer<Answer> done) {
		FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, this.path,
				Unpooled.wrappedBuffer(this.bodies[Math.floorMod(number, this.bodies.length)]));
		HttpHeaders headers = request.headers();
		headers.set(HttpHeaderNames.HOST, this.host);
		headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
		headers.set(HttpHeaderNames.CONTENT_LENGTH, request.content().readableBytes());
		clients.headers().apply(number).forEach(headers::set);
		dispatch(new Pending(request, clients.group(), done));
	}

	/** On an idle connection, a new one, or (all in use) the first to come free. */
	private void dispatch(Pending pending) {
		Channel channel;
		while ((channel = this.idle.pollLast()) != null) {
			if (channel.isActive()) {
				write(channel, pending);
				return;
			}
		}
		if (this.open.incrementAndGet() > MAX_CONNECTIONS) {
			this.open.decrementAndGet();
			this.waiting.add(pending);
			return;
		}
		this.bootstrap.connect().addListener((ChannelFutureListener) (connected) -> {
			if (connected.isSuccess()) {
				connected.channel().closeFuture().addListener((closed) -> {
					this.open.decrementAndGet();
					Pending next = this.waiting.poll();
					if (next != null) {
						dispatch(next);
					}
				});
				write(connected.channel(), pending);
			}
			else {
				this.open.decrementAndGet();
				pending.request.release();
				pending.answer(0, null, connected.cause().getClass().getSimpleName());
			}
		});
	}

	private void write(Channel channel, Pending pending) {
		channel.attr(PENDING).set(pending);
		pending.timeout = channel.eventLoop().schedule(() -> {
			if (channel.attr(PENDING).compareAndSet(pending, null)) {
				pending.answer(0, null, "timeout");
				channel.close();
			}
		}, REQUEST_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
		channel.writeAndFlush(pending.request).addListener((ChannelFutureListener) (written) -> {
			if (!written.isSuccess() && channel.attr(PENDING).compareAndSet(pending, null)) {
				pending.answer(0, null, written.cause().getClass().getSimpleName());
				channel.close();
			}
		});
	}

	/** A connection is free again: the next waiting request, else the idle pool. */
	private void release(Channel channel) {
		Pending next = this.waiting.poll();
		if (next != null) {
			write(channel, next);
		}
		else {
			this.idle.addLast(channel);
		}
	}

	private final class Responses extends SimpleChannelInboundHandler<FullHttpResponse> {

		@Override
		protected void channelRead0(ChannelHandlerContext context, FullHttpResponse response) {
			Channel channel = context.channel();
			Pending pending = channel.attr(PENDING).getAndSet(null);
			if (pending == null) {
				return;
			}
			int status = response.status().code();
			String rule = (status == 200) ? null : rule(response.content().toString(StandardCharsets.UTF_8));
			boolean keepAlive = HttpUtil.isKeepAlive(response);
			pending.answer(status, response.headers().get(HttpHeaderNames.RETRY_AFTER), rule);
			if (keepAlive) {
				release(channel);
			}
			else {
				channel.close();
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext context) {
			Pending pending = context.channel().attr(PENDING).getAndSet(null);
			if (pending != null) {
				pending.answer(0, null, "closed");
			}
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
			context.close();
		}

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
		AtomicInteger loops = new AtomicInteger(connections);
		ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
		Consumer<Answer> loop = new Consumer<>() {
			@Override
			public void accept(Answer answer) {
				answers.add(answer);
				if (running.get()) {
					send(clients, numbers.getAndIncrement(), this);
				}
				else {
					loops.decrementAndGet();
				}
			}
		};
		for (int i = 0; i < connections; i++) {
			send(clients, numbers.getAndIncrement(), loop);
		}
		LockSupport.parkNanos(duration.toNanos());
		running.set(false);
		long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos() + 5_000_000_000L;
		while (loops.get() > 0 && System.nanoTime() < deadline) {
			LockSupport.parkNanos(10_000_000);
		}
		return new ArrayList<>(answers);
	}

	/**
	 * Open loops: each of {@code groups} sends at its own rate (requests per second) for
	 * {@code duration}, whatever the answers; returns when every answer is in. (A 1 ms
	 * tick on the event loop instead of a thread per group cost the driver as much: 0.21
	 * cores at 4 × C in one round, against 0.15.)
	 */
	List<Answer> openLoop(Duration duration, List<Map.Entry<Clients, Double>> groups) {
		ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
		AtomicInteger outstanding = new AtomicInteger();
		Consumer<Answer> done = (answer) -> {
			answers.add(answer);
			outstanding.decrementAndGet();
		};
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
					send(group.getKey(), number++, done);
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
		this.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
	}

}
