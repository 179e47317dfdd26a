package io.eino.serving.api;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The door's hold on refusals, on a fake clock: a client's first refusal goes at once,
 * one that comes back inside its {@code Retry-After} waits for the rest of it, every
 * client apart.
 */
class RefusalHoldTest {

	private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

	private final AtomicLong now = new AtomicLong(1_000_000_000L);

	private final RefusalHold holds = new RefusalHold(this.now::get);

	@Test
	void aClientThatComesBackEarlyWaitsForTheRestOfItsRetryAfter() {
		assertThat(this.holds.hold("a", RETRY_AFTER)).isZero();
		advance(Duration.ofMillis(1));
		assertThat(this.holds.hold("a", RETRY_AFTER)).isEqualTo(Duration.ofMillis(999));
		advance(Duration.ofMillis(600));
		// Held refusals do not push the window on: every early one ends with it.
		assertThat(this.holds.hold("a", RETRY_AFTER)).isEqualTo(Duration.ofMillis(399));
		advance(Duration.ofMillis(399));
		// Back after its Retry-After: at once, and a new window starts.
		assertThat(this.holds.hold("a", RETRY_AFTER)).isZero();
		advance(Duration.ofMillis(500));
		assertThat(this.holds.hold("a", RETRY_AFTER)).isEqualTo(Duration.ofMillis(500));
	}

	@Test
	void aClientThatHonoursRetryAfterIsNeverHeld() {
		for (int i = 0; i < 5; i++) {
			assertThat(this.holds.hold("polite", Duration.ofSeconds(2))).isZero();
			advance(Duration.ofSeconds(2));
		}
	}

	@Test
	void clientsAreHeldApart() {
		assertThat(this.holds.hold("a", RETRY_AFTER)).isZero();
		assertThat(this.holds.hold("b", RETRY_AFTER)).isZero();
		assertThat(this.holds.hold("a", RETRY_AFTER)).isEqualTo(RETRY_AFTER);
		assertThat(this.holds.hold("b", RETRY_AFTER)).isEqualTo(RETRY_AFTER);
	}

	@Test
	void clientsArePrunedOnceTheirWindowsEndedAndBeyondTheBoundNothingIsHeld() {
		for (int i = 0; i < RefusalHold.MAX_CLIENTS; i++) {
			this.holds.hold("client " + i, RETRY_AFTER);
		}
		// Every window is open: a new client is not remembered, so never held.
		assertThat(this.holds.hold("late", RETRY_AFTER)).isZero();
		assertThat(this.holds.hold("late", RETRY_AFTER)).isZero();
		assertThat(this.holds.clients()).isEqualTo(RefusalHold.MAX_CLIENTS);
		advance(RETRY_AFTER);
		// Their windows ended: they go, and the new client is held as any other.
		assertThat(this.holds.hold("late", RETRY_AFTER)).isZero();
		assertThat(this.holds.clients()).isEqualTo(1);
		assertThat(this.holds.hold("late", RETRY_AFTER)).isEqualTo(RETRY_AFTER);
	}

	private void advance(Duration duration) {
		this.now.addAndGet(duration.toNanos());
	}

}
