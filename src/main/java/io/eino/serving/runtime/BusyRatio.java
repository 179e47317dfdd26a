package io.eino.serving.runtime;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The share of time a version's runners spent running batches, over a sliding window of
 * at least {@link #WINDOW_NANOS}: each reading compares the busy time now with a snapshot
 * taken one window or more ago, and moves the snapshot on. A gauge, so it reads the same
 * for any number of scrapers. Thread safe.
 */
final class BusyRatio {

	static final long WINDOW_NANOS = 5_000_000_000L;

	private final int runners;

	private final LongSupplier clock;

	private final LongAdder busyNanos = new LongAdder();

	/** The snapshot before the last: readings compare with it. Guarded by this. */
	private long baseTime;

	private long baseBusy;

	/** The latest snapshot, which becomes the base once it is a window old. */
	private long nextTime;

	private long nextBusy;

	BusyRatio(int runners, LongSupplier clock) {
		this.runners = Math.max(1, runners);
		this.clock = clock;
		this.baseTime = clock.getAsLong();
		this.nextTime = this.baseTime;
	}

	void add(long nanos) {
		this.busyNanos.add(nanos);
	}

	synchronized double ratio() {
		long now = this.clock.getAsLong();
		long busy = this.busyNanos.sum();
		if (now - this.nextTime >= WINDOW_NANOS) {
			this.baseTime = this.nextTime;
			this.baseBusy = this.nextBusy;
			this.nextTime = now;
			this.nextBusy = busy;
		}
		long elapsed = now - this.baseTime;
		if (elapsed <= 0) {
			return 0;
		}
		return Math.min(1, (double) (busy - this.baseBusy) / ((double) elapsed * this.runners));
	}

}
