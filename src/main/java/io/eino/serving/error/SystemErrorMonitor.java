package io.eino.serving.error;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Watches system-tier errors: when {@code threshold} of them fall within {@code window}
 * the failure is persistent and this health indicator (part of the readiness group)
 * reports DOWN, so the orchestrator stops routing here; it recovers by itself once the
 * window holds fewer. Time is injected. Thread safe.
 */
public final class SystemErrorMonitor implements HealthIndicator {

	private final int threshold;

	private final long windowNanos;

	private final LongSupplier clock;

	private final Deque<Long> recent = new ArrayDeque<>();

	public SystemErrorMonitor(int threshold, Duration window, LongSupplier clock) {
		this.threshold = threshold;
		this.windowNanos = window.toNanos();
		this.clock = clock;
	}

	public synchronized void record() {
		this.recent.addLast(this.clock.getAsLong());
		prune();
	}

	/** Whether at least {@code threshold} system errors fell within the window. */
	public synchronized boolean persistent() {
		prune();
		return this.recent.size() >= this.threshold;
	}

	private void prune() {
		long oldest = this.clock.getAsLong() - this.windowNanos;
		while (!this.recent.isEmpty() && this.recent.peekFirst() < oldest) {
			this.recent.removeFirst();
		}
		while (this.recent.size() > this.threshold) {
			this.recent.removeFirst();
		}
	}

	@Override
	public Health health() {
		int count;
		synchronized (this) {
			prune();
			count = this.recent.size();
		}
		Health.Builder health = (count >= this.threshold) ? Health.down() : Health.up();
		return health.withDetail("recentSystemErrors", count)
			.withDetail("threshold", this.threshold)
			.withDetail("window", Duration.ofNanos(this.windowNanos).toString())
			.build();
	}

}
