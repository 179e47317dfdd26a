package io.eino.serving.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The door's hold on refusals, on a fake clock: a client's first refusal goes at once;
 * one that comes back inside its {@code Retry-After} waits a moment, never past it; held
 * refusals are bounded per client and in all, every client apart.
 */
class RefusalHoldTest {

	private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

	private final AtomicLong now = new AtomicLong(1_000_000_000L);

	private final RefusalHold holds = new RefusalHold(this.now::get);

	@Test
	void aClientThatComesBackEarlyWaitsAMomentButNeverPastItsRetryAfter() {
		assertThat(this.holds.hold("a", RETRY_AFTER)).isNull();
		advance(Duration.ofMillis(1));
		assertThat(held("a")).isEqualTo(RefusalHold.MAX_HOLD);
		advance(Duration.ofMillis(899));
		// Held refusals do not push the window on: 100 ms of it are left.
		assertThat(held("a")).isEqualTo(Duration.ofMillis(100));
		advance(Duration.ofMillis(100));
		// Back after its Retry-After: at once, and a new window starts.
		assertThat(this.holds.hold("a", RETRY_AFTER)).isNull();
		advance(Duration.ofMillis(500));
		assertThat(held("a")).isEqualTo(RefusalHold.MAX_HOLD);
	}

	@Test
	void aClientThatHonoursRetryAfterIsNeverHeld() {
		for (int i = 0; i < 5; i++) {
			assertThat(this.holds.hold("polite", Duration.ofSeconds(2))).isNull();
			advance(Duration.ofSeconds(2));
		}
	}

	@Test
	void clientsAreHeldApart() {
		assertThat(this.holds.hold("a", RETRY_AFTER)).isNull();
		assertThat(this.holds.hold("b", RETRY_AFTER)).isNull();
		assertThat(held("a")).isEqualTo(RefusalHold.MAX_HOLD);
		assertThat(held("b")).isEqualTo(RefusalHold.MAX_HOLD);
	}

	@Test
	void aClientSendingWhateverTheAnswersHoldsAtMostItsShareOfConnections() {
		this.holds.hold("open loop", RETRY_AFTER);
		List<RefusalHold.Held> held = new ArrayList<>();
		for (int i = 0; i < RefusalHold.MAX_HELD_PER_CLIENT; i++) {
			held.add(this.holds.hold("open loop", RETRY_AFTER));
		}
		assertThat(held).doesNotContainNull();
		// Beyond its share, refused at once, as without the hold.
		assertThat(this.holds.hold("open loop", RETRY_AFTER)).isNull();
		held.remove(0).release().run();
		assertThat(this.holds.hold("open loop", RETRY_AFTER)).isNotNull();
	}

	@Test
	void heldRefusalsAreBoundedInAll() {
		int clients = RefusalHold.MAX_HELD / RefusalHold.MAX_HELD_PER_CLIENT;
		for (int client = 0; client <= clients; client++) {
			this.holds.hold("client " + client, RETRY_AFTER);
		}
		for (int client = 0; client < clients; client++) {
			for (int i = 0; i < RefusalHold.MAX_HELD_PER_CLIENT; i++) {
				assertThat(this.holds.hold("client " + client, RETRY_AFTER)).isNotNull();
			}
		}
		assertThat(this.holds.hold("client " + clients, RETRY_AFTER)).isNull();
	}

	@Test
	void clientsArePrunedOnceTheirWindowsEndedAndBeyondTheBoundNothingIsHeld() {
		for (int i = 0; i < RefusalHold.MAX_CLIENTS; i++) {
			this.holds.hold("client " + i, RETRY_AFTER);
		}
		// Every window is open: a new client is not remembered, so never held.
		assertThat(this.holds.hold("late", RETRY_AFTER)).isNull();
		assertThat(this.holds.hold("late", RETRY_AFTER)).isNull();
		assertThat(this.holds.clients()).isEqualTo(RefusalHold.MAX_CLIENTS);
		advance(RETRY_AFTER);
		// Their windows ended: they go, and the new client is held as any other.
		assertThat(this.holds.hold("late", RETRY_AFTER)).isNull();
		assertThat(this.holds.clients()).isEqualTo(1);
		assertThat(held("late")).isEqualTo(RefusalHold.MAX_HOLD);
	}

	private Duration held(String client) {
		RefusalHold.Held held = this.holds.hold(client, RETRY_AFTER);
		assertThat(held).as("held").isNotNull();
		held.release().run();
		return held.duration();
	}

	private void advance(Duration duration) {
		this.now.addAndGet(duration.toNanos());
	}

}
