package io.eino.serving.server;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.SmartLifecycle;

/**
 * The first step of shutdown (docs/traffic.md, "Shutdown"). Spring Boot turns readiness
 * to refusing traffic as the context starts closing; this lifecycle stops first of all
 * (the highest phase) and holds the shutdown for {@code eino.shutdown.drain-delay} while
 * the service keeps serving, every response asking its client to close the connection
 * ({@link ConnectionCloseFilter}) except in the last second, when the clients that
 * reconnected keep their connections so that none is still connecting as the listener
 * closes. Then it closes the public listener itself (responses close again) and gives the
 * connections already accepted {@link #LAST_CALL} more (at most the drain delay) to send
 * their request, which is answered: a client that connected just before the listener
 * closed has its request in flight, not lost. Only then does the web server's graceful
 * shutdown close the idle connections and wait for the requests in flight. The management
 * port answers all the while (it stops after the public port).
 */
public final class Drain implements SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(Drain.class);

	/**
	 * How long connections accepted before the listener closed may still send a request.
	 */
	static final Duration LAST_CALL = Duration.ofMillis(500);

	/**
	 * The end of the drain during which responses keep their connections open: clients
	 * that were told to reconnect have done so, and stop opening connections before the
	 * listener closes (a connection still in the kernel's accept queue when it closes is
	 * reset, with its request sent).
	 */
	static final Duration KEEP_ALIVE_TAIL = Duration.ofSeconds(1);

	private final Duration delay;

	/** When, while draining, responses stop asking to close (the tail begins). */
	private volatile long keepAliveFrom;

	private volatile boolean listenerClosed;

	/** The public port's listening channel, once bound. */
	private volatile Channel listener;

	private final ApplicationAvailability availability;

	private volatile boolean running;

	private volatile boolean draining;

	public Drain(Duration delay, ApplicationAvailability availability) {
		this.delay = delay;
		this.availability = availability;
	}

	/**
	 * Whether the service should take new traffic: false while draining, or once anything
	 * turned readiness to refusing.
	 */
	public boolean acceptsTraffic() {
		return !this.draining && this.availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
	}

	/** The public port is listening on {@code channel}. */
	void listening(Channel channel) {
		this.listener = channel;
	}

	/**
	 * Whether a response should close its connection: while draining, except in the last
	 * {@link #KEEP_ALIVE_TAIL} (at most half the delay) before the listener closes; and
	 * again once it has closed.
	 */
	public boolean closesConnections() {
		return this.draining && (this.listenerClosed || System.nanoTime() < this.keepAliveFrom);
	}

	@Override
	public void start() {
		// A stopped context may be started again (Spring's test context cache does).
		this.draining = false;
		this.listenerClosed = false;
		this.running = true;
	}

	@Override
	public void stop() {
		stop(() -> {
		});
	}

	@Override
	public void stop(Runnable callback) {
		this.keepAliveFrom = System.nanoTime() + this.delay.toNanos()
				- Math.min(KEEP_ALIVE_TAIL.toNanos(), this.delay.toNanos() / 2);
		this.draining = true;
		this.running = false;
		logger.info("Shutting down: readiness is down, draining for {} before the listener closes", this.delay);
		long lastCall = Math.min(LAST_CALL.toNanos(), this.delay.toNanos());
		CompletableFuture.delayedExecutor(this.delay.toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
			Channel channel = this.listener;
			this.listenerClosed = true;
			if (channel == null || lastCall == 0) {
				callback.run();
				return;
			}
			channel.close();
			CompletableFuture.delayedExecutor(lastCall, TimeUnit.NANOSECONDS).execute(callback);
		});
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Stops before everything else, the web server's graceful shutdown included. */
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE;
	}

}
