package io.eino.serving.api;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * How long the admission door holds a refusal before sending it (docs/traffic.md,
 * "Admission"): not at all for a client's first refusal; for a client refused again
 * before the {@code Retry-After} of that refusal has passed, up to {@link #MAX_HOLD}
 * (never past the {@code Retry-After}). A client that retries at once on every 503 (a
 * naive retry loop, a load tool's closed loop) would otherwise turn each of its
 * connections into thousands of refusals a second, each costing the event loops about 60
 * µs: on a small machine they take the cores from the model, its batches slow down,
 * predicted waits grow and more is refused, until almost nothing is served. Held, each
 * connection of such a client is refused at most four times a second, at no CPU cost
 * while it waits. A client that sends at a fixed rate whatever the answers (an open loop)
 * would instead pile up held connections: at most {@value #MAX_HELD_PER_CLIENT} of a
 * client's refusals, and {@value #MAX_HELD} in all, are held at once, the rest sent at
 * once as before. A client that honours {@code Retry-After} never waits for a refusal.
 * Clients are those of fair queueing and rate limits (an API key, else the address).
 * Hand-written: a rule of the door's own, not a rate limit (only a refusal is ever held).
 */
final class RefusalHold {

	/** The longest a refusal is held. */
	static final Duration MAX_HOLD = Duration.ofMillis(250);

	/** Refusals of one client held at once, at most. */
	static final int MAX_HELD_PER_CLIENT = 64;

	/** Refusals held at once, at most. */
	static final int MAX_HELD = 1024;

	/** Clients remembered at most; beyond, refusals of new clients are not held. */
	static final int MAX_CLIENTS = 4096;

	private final LongSupplier nanoClock;

	private final Map<String, Window> windows = new ConcurrentHashMap<>();

	private final AtomicInteger held = new AtomicInteger();

	/** A refusal held: for how long, and what to run once it is sent (or dropped). */
	record Held(Duration duration, Runnable release) {
	}

	/** One client's: when the Retry-After of its last refusal sent at once ends. */
	private static final class Window {

		volatile long notBefore;

		final AtomicInteger held = new AtomicInteger();

	}

	RefusalHold(LongSupplier nanoClock) {
		this.nanoClock = nanoClock;
	}

	/**
	 * Whether to hold the refusal of {@code client} now, told to come back after
	 * {@code retryAfter}: null to send it at once (its last refusal's {@code Retry-After}
	 * has passed, and this one starts a new one; or too many are held already), else for
	 * how long.
	 */
	Held hold(String client, Duration retryAfter) {
		long now = this.nanoClock.getAsLong();
		Window window = this.windows.get(client);
		if (window != null && window.notBefore - now > 0) {
			return held(window, now);
		}
		if (window == null) {
			if (this.windows.size() >= MAX_CLIENTS) {
				this.windows.values().removeIf((old) -> old.notBefore - now <= 0 && old.held.get() == 0);
				if (this.windows.size() >= MAX_CLIENTS) {
					return null;
				}
			}
			window = this.windows.computeIfAbsent(client, (key) -> new Window());
		}
		window.notBefore = now + retryAfter.toNanos();
		return null;
	}

	/**
	 * A refusal held in {@code window}, still open at {@code now}; null beyond the
	 * bounds.
	 */
	private Held held(Window window, long now) {
		if (window.held.incrementAndGet() > MAX_HELD_PER_CLIENT) {
			window.held.decrementAndGet();
			return null;
		}
		if (this.held.incrementAndGet() > MAX_HELD) {
			this.held.decrementAndGet();
			window.held.decrementAndGet();
			return null;
		}
		Duration duration = Duration.ofNanos(Math.min(window.notBefore - now, MAX_HOLD.toNanos()));
		return new Held(duration, () -> {
			window.held.decrementAndGet();
			this.held.decrementAndGet();
		});
	}

	/** Clients remembered now (for tests). */
	int clients() {
		return this.windows.size();
	}

}
