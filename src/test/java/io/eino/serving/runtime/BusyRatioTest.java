package io.eino.serving.runtime;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BusyRatioTest {

	private static final long SECOND = 1_000_000_000L;

	@Test
	void readsTheBusyShareOfTheRunnersOverTheLastWindow() {
		AtomicLong now = new AtomicLong(0);
		BusyRatio ratio = new BusyRatio(2, now::get);
		// Two runners, 4 s busy of 2 × 5 s: 40 %.
		now.set(5 * SECOND);
		ratio.add(4 * SECOND);
		assertThat(ratio.ratio()).isCloseTo(0.4, within(1e-9));
		// Saturated for the next 5 s: the window moves on, the quieter start leaves it.
		now.set(10 * SECOND);
		ratio.add(10 * SECOND);
		assertThat(ratio.ratio()).isCloseTo(1.0, within(1e-9));
		// Idle since: 2 idle seconds in a 7 s window, then a wholly idle window.
		now.set(12 * SECOND);
		assertThat(ratio.ratio()).isCloseTo(10.0 / 14.0, within(1e-9));
		now.set(15 * SECOND);
		assertThat(ratio.ratio()).isZero();
	}

	@Test
	void neverReadsAboveOne() {
		AtomicLong now = new AtomicLong(0);
		BusyRatio ratio = new BusyRatio(1, now::get);
		now.set(SECOND);
		ratio.add(3 * SECOND);
		assertThat(ratio.ratio()).isEqualTo(1.0);
	}

}
