package io.eino.serving.ratelimit;

import io.eino.serving.EinoProperties;

/**
 * The seed's adaptive token bucket, as a rule over one number: the share of the
 * configured limit that is in force. Each {@link #update} brings the mean queue wait of
 * the last interval: above the target the share is multiplied by the decrease factor
 * (never below the minimum share); below half the target it grows back by the increase
 * step (never above 1); in between, or with no signal, it holds. Additive increase,
 * multiplicative decrease, as TCP does. Thread safe.
 */
public final class AdaptiveLimit {

	private final int configured;

	private final EinoProperties.Adaptive settings;

	private double share = 1.0;

	public AdaptiveLimit(int configured, EinoProperties.Adaptive settings) {
		this.configured = configured;
		this.settings = settings;
	}

	/**
	 * Adjusts to the last interval.
	 * @param meanQueueWaitNanos the mean queue wait of the texts that started in the
	 * interval; NaN when none did
	 * @return the limit now in force
	 */
	public synchronized int update(double meanQueueWaitNanos) {
		if (!this.settings.enabled() || Double.isNaN(meanQueueWaitNanos)) {
			return current();
		}
		double target = this.settings.targetQueueWait().toNanos();
		if (meanQueueWaitNanos > target) {
			this.share = Math.max(this.settings.minFraction(), this.share * this.settings.decreaseFactor());
		}
		else if (meanQueueWaitNanos < target / 2) {
			this.share = Math.min(1.0, this.share + this.settings.increaseStep());
		}
		return current();
	}

	/** The limit in force: at least one request per period. */
	public synchronized int current() {
		return Math.max(1, (int) Math.round(this.configured * this.share));
	}

	public int configured() {
		return this.configured;
	}

}
