package io.eino.serving.api;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * How long the admission door holds a refusal before sending it (docs/traffic.md,
 * "Admission"): not at all for a client's first refusal; for a client refused again
 * before the {@code Retry-After} of its last refusal has passed, until it has. A client
 * that retries at once on every 503 (a naive retry loop, a load tool's closed loop) would
 * otherwise turn the model's spare seconds into thousands of refusals a second, each
 * costing the event loops about 60 µs: on a small machine they take the cores from the
 * model, its batches slow down, predicted waits grow, and more is refused, until almost
 * nothing is served. Held, such a client gets at most one burst of refusals per
 * {@code Retry-After}, at no CPU cost while it waits; a client that honours
 * {@code Retry-After} never waits for a refusal. Clients are those of fair queueing and
 * rate limits (an API key, else the address). Hand-written: this is a rule of the door's
 * own, not a rate limit (what is held is only ever a refusal).
 */
final class RefusalHold {

	/** Clients remembered at most; beyond, refusals of new clients are not held. */
	static final int MAX_CLIENTS = 4096;

	private final LongSupplier nanoClock;

	/** By client: when the Retry-After of its last refusal sent at once ends. */
	private final Map<String, Long> notBefore = new ConcurrentHashMap<>();

	RefusalHold(LongSupplier nanoClock) {
		this.nanoClock = nanoClock;
	}

	/**
	 * How long to hold the refusal of {@code client} now, told to come back after
	 * {@code retryAfter}: zero when its last refusal's {@code Retry-After} has passed
	 * (this refusal then starts a new one), else what is left of it.
	 */
	Duration hold(String client, Duration retryAfter) {
		long now = this.nanoClock.getAsLong();
		Long until = this.notBefore.get(client);
		if (until != null && until - now > 0) {
			return Duration.ofNanos(until - now);
		}
		if (this.notBefore.size() >= MAX_CLIENTS) {
			this.notBefore.values().removeIf((end) -> end - now <= 0);
			if (this.notBefore.size() >= MAX_CLIENTS) {
				return Duration.ZERO;
			}
		}
		this.notBefore.put(client, now + retryAfter.toNanos());
		return Duration.ZERO;
	}

	/** Clients remembered now (for tests). */
	int clients() {
		return this.notBefore.size();
	}

}
