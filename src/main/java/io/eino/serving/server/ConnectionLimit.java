package io.eino.serving.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection limit of one port: a connection accepted past it is closed at once,
 * counted in {@code eino.connections.refused} (tagged with the port's name) and logged
 * once per interval as a count, where Reactor Netty's own limit logs a warning with a
 * stack trace for each one (a flood of connections would flood the log).
 */
final class ConnectionLimit {

	private static final Logger logger = LoggerFactory.getLogger(ConnectionLimit.class);

	/** At most one log line per this interval. */
	static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

	private final int max;

	private final String port;

	private final AtomicInteger open = new AtomicInteger();

	private final AtomicLong refusedSinceLog = new AtomicLong();

	private final AtomicLong lastLog;

	private final Counter refused;

	private final LongSupplier clock;

	ConnectionLimit(int max, String port, MeterRegistry meters, LongSupplier clock) {
		this.max = max;
		this.port = port;
		this.clock = clock;
		this.lastLog = new AtomicLong(clock.getAsLong() - LOG_INTERVAL_NANOS);
		this.refused = Counter.builder("eino.connections.refused")
			.description("Connections closed as they were accepted, past the port's connection limit")
			.tag("port", port)
			.register(meters);
	}

	/**
	 * Counts a newly accepted connection until it closes, or closes it at once when the
	 * port holds its limit already.
	 * @return whether it was admitted
	 */
	boolean admit(Channel channel) {
		if (this.open.incrementAndGet() > this.max) {
			this.open.decrementAndGet();
			this.refused.increment();
			this.refusedSinceLog.incrementAndGet();
			logRefusals();
			channel.close();
			return false;
		}
		channel.closeFuture().addListener((closed) -> this.open.decrementAndGet());
		return true;
	}

	/** Connections the port holds now. */
	int open() {
		return this.open.get();
	}

	private void logRefusals() {
		long now = this.clock.getAsLong();
		long last = this.lastLog.get();
		if (now - last >= LOG_INTERVAL_NANOS && this.lastLog.compareAndSet(last, now)) {
			logger.warn("The {} port refused {} connection(s) at its limit of {} in the last {} s", this.port,
					this.refusedSinceLog.getAndSet(0), this.max, TimeUnit.NANOSECONDS.toSeconds(LOG_INTERVAL_NANOS));
		}
	}

}
