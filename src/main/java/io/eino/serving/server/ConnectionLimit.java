package io.eino.serving.server;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection limits of one port, shared fairly between its clients (a client is a
 * peer address): no client holds more than its own limit, and the port holds at most its
 * global one. A connection that would pass either limit takes the place of the connection
 * idle longest (no request in progress) of the client that holds the most, which is
 * closed; only when that client has no idle connection is the new one closed instead. So
 * one host's idle sockets cannot lock anyone out: its own new connections replace its
 * oldest idle ones, and a new client is served as soon as it connects.
 *
 * <p>
 * Closed connections are counted in {@code eino.connections.refused} (new ones closed at
 * once) and {@code eino.connections.evicted} (idle ones closed to make room), tagged with
 * the port's name, and logged once per interval as counts, where Reactor Netty's own
 * limit logs a warning with a stack trace for each one. Hand-written: Reactor Netty's
 * limit is one global count with no notion of clients or idle connections.
 */
final class ConnectionLimit {

	private static final Logger logger = LoggerFactory.getLogger(ConnectionLimit.class);

	/** At most one log line per this interval. */
	static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

	/**
	 * Only a connection idle this long is closed to make room: one a client used within
	 * it is likely to be the one it sends its next request on.
	 */
	static final long MIN_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

	private static final AttributeKey<Held> HELD = AttributeKey.valueOf("eino.connectionLimit");

	private final int max;

	private final int perClient;

	private final String port;

	private final Counter refused;

	private final Counter evicted;

	private final LongSupplier clock;

	/** Guards everything below: admitting, releasing and the idle sets move together. */
	private final Object lock = new Object();

	private final Map<Object, Client> clients = new HashMap<>();

	private int open;

	private long refusedSinceLog;

	private long evictedSinceLog;

	private long lastLog;

	/**
	 * @param max connections the port holds at once
	 * @param perClient connections one client holds at once (at most {@code max})
	 */
	ConnectionLimit(int max, int perClient, String port, MeterRegistry meters, LongSupplier clock) {
		this.max = max;
		this.perClient = Math.min(max, perClient);
		this.port = port;
		this.clock = clock;
		this.lastLog = clock.getAsLong() - LOG_INTERVAL_NANOS;
		this.refused = Counter.builder("eino.connections.refused")
			.description("New connections closed as they were accepted: neither their client nor the port had room")
			.tag("port", port)
			.register(meters);
		this.evicted = Counter.builder("eino.connections.evicted")
			.description("Idle connections closed to make room for a new one, from the client holding the most")
			.tag("port", port)
			.register(meters);
	}

	/** One client's connections; those with no request in progress in idle order. */
	private static final class Client {

		final Object key;

		int open;

		final LinkedHashSet<Channel> idle = new LinkedHashSet<>();

		Client(Object key) {
			this.key = key;
		}

	}

	/** What the port knows of one admitted connection. */
	private static final class Held {

		final Client client;

		int requests;

		long idleSince;

		boolean released;

		Held(Client client) {
			this.client = client;
		}

	}

	/**
	 * Counts a newly accepted connection of {@code client} until it closes, closing the
	 * idle connection it replaces, or closes it at once when there is none to replace. It
	 * counts as busy until {@link #idle(Channel)} says otherwise.
	 * @return whether it was admitted
	 */
	boolean admit(Channel channel, Object client) {
		Channel replaced;
		synchronized (this.lock) {
			Client own = this.clients.computeIfAbsent(client, Client::new);
			boolean full = own.open >= this.perClient || this.open >= this.max;
			long now = this.clock.getAsLong();
			replaced = !full ? null : oldestIdle((own.open >= this.perClient) ? own : largestWithIdle(own, now), now);
			if (full && replaced == null) {
				if (own.open == 0) {
					this.clients.remove(client);
				}
				this.refusedSinceLog++;
				this.refused.increment();
				logClosures();
				channel.close();
				return false;
			}
			own.open++;
			this.open++;
			channel.attr(HELD).set(new Held(own));
			if (replaced != null) {
				release(replaced);
				this.evictedSinceLog++;
				this.evicted.increment();
				logClosures();
			}
		}
		if (replaced != null) {
			replaced.close();
		}
		channel.closeFuture().addListener((closed) -> {
			synchronized (this.lock) {
				release(channel);
			}
		});
		return true;
	}

	/** A request arrived on the connection: it is no longer idle. */
	void busy(Channel channel) {
		synchronized (this.lock) {
			Held held = channel.attr(HELD).get();
			if (held != null && !held.released && held.requests++ == 0) {
				held.client.idle.remove(channel);
			}
		}
	}

	/**
	 * The connection answered a request (or was just opened): with none left in progress,
	 * it is the client's most recently idle one.
	 */
	void idle(Channel channel) {
		synchronized (this.lock) {
			Held held = channel.attr(HELD).get();
			if (held != null && !held.released && (held.requests = Math.max(0, held.requests - 1)) == 0) {
				held.idleSince = this.clock.getAsLong();
				// Last in idle order, even if it was idle already.
				held.client.idle.remove(channel);
				held.client.idle.add(channel);
			}
		}
	}

	/** Connections the port holds now. */
	int open() {
		synchronized (this.lock) {
			return this.open;
		}
	}

	/**
	 * The client holding the most connections among those with one idle long enough; the
	 * newcomer itself when it holds as many (it replaces its own), and none when all hold
	 * fewer than it: a client never loses a connection to one that holds as many.
	 */
	private Client largestWithIdle(Client newcomer, long now) {
		Client largest = (oldestIdle(newcomer, now) != null) ? newcomer : null;
		for (Client client : this.clients.values()) {
			if ((largest == null || client.open > largest.open) && oldestIdle(client, now) != null) {
				largest = client;
			}
		}
		return (largest == newcomer || largest != null && largest.open > newcomer.open) ? largest : null;
	}

	/** The client's connection idle longest, if it has been idle long enough. */
	private static Channel oldestIdle(Client client, long now) {
		if (client == null || client.idle.isEmpty()) {
			return null;
		}
		Channel oldest = client.idle.iterator().next();
		return (now - oldest.attr(HELD).get().idleSince >= MIN_IDLE_NANOS) ? oldest : null;
	}

	/** Gives back the connection's place, once. */
	private void release(Channel channel) {
		Held held = channel.attr(HELD).get();
		if (held == null || held.released) {
			return;
		}
		held.released = true;
		held.client.idle.remove(channel);
		this.open--;
		if (--held.client.open == 0) {
			this.clients.remove(held.client.key, held.client);
		}
	}

	private void logClosures() {
		long now = this.clock.getAsLong();
		if (now - this.lastLog >= LOG_INTERVAL_NANOS) {
			this.lastLog = now;
			logger.warn(
					"The {} port refused {} new connection(s) and closed {} idle one(s) to make room in the last {} s "
							+ "(limits: {} connections, {} per client)",
					this.port, this.refusedSinceLog, this.evictedSinceLog,
					TimeUnit.NANOSECONDS.toSeconds(LOG_INTERVAL_NANOS), this.max, this.perClient);
			this.refusedSinceLog = 0;
			this.evictedSinceLog = 0;
		}
	}

}
