package io.eino.serving.error;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Persistent system errors take readiness down, and it comes back once they stop; on a
 * fake clock.
 */
class SystemErrorMonitorTest {

	private final AtomicLong now = new AtomicLong();

	private final SystemErrorMonitor monitor = new SystemErrorMonitor(3, Duration.ofSeconds(60), this.now::get);

	@Test
	void readinessGoesDownWhenErrorsPersistAndRecoversWhenTheyStop() {
		assertThat(this.monitor.health().getStatus()).isEqualTo(Status.UP);
		this.monitor.record();
		this.now.addAndGet(Duration.ofSeconds(10).toNanos());
		this.monitor.record();
		assertThat(this.monitor.persistent()).isFalse();
		this.now.addAndGet(Duration.ofSeconds(10).toNanos());
		this.monitor.record();
		assertThat(this.monitor.persistent()).isTrue();
		assertThat(this.monitor.health().getStatus()).isEqualTo(Status.DOWN);
		assertThat(this.monitor.health().getDetails()).containsEntry("recentSystemErrors", 3);
		// The first error leaves the window 60 s after it happened.
		this.now.addAndGet(Duration.ofSeconds(41).toNanos());
		assertThat(this.monitor.health().getStatus()).isEqualTo(Status.UP);
	}

	@Test
	void scatteredErrorsNeverTakeReadinessDown() {
		for (int i = 0; i < 20; i++) {
			this.monitor.record();
			assertThat(this.monitor.persistent()).isFalse();
			this.now.addAndGet(Duration.ofSeconds(31).toNanos());
		}
	}

}
