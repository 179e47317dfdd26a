package io.eino.serving.server;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import org.springframework.boot.availability.ApplicationAvailabilityBean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The phases of a drain: responses close their connections, then keep them in the tail
 * before the listener closes (so no client is connecting as it closes), then close them
 * again; the shutdown goes on a moment after the listener closed.
 */
class DrainTest {

	@Test
	void responsesCloseConnectionsExceptInTheTailBeforeTheListenerCloses() throws Exception {
		Duration delay = Duration.ofMillis(600);
		Drain drain = new Drain(delay, new ApplicationAvailabilityBean());
		EmbeddedChannel listener = new EmbeddedChannel();
		drain.listening(listener);
		drain.start();
		assertThat(drain.closesConnections()).as("serving").isFalse();
		long stopped = System.nanoTime();
		CountDownLatch done = new CountDownLatch(1);
		drain.stop(done::countDown);
		boolean early = drain.closesConnections();
		long earlyAt = System.nanoTime() - stopped;
		assertThat(drain.acceptsTraffic()).isFalse();
		// The tail is half the delay here: from 300 ms to the listener's close at 600 ms.
		Thread.sleep(delay.toMillis() * 3 / 4);
		boolean tail = drain.closesConnections();
		boolean listenerOpen = listener.isOpen();
		long tailAt = System.nanoTime() - stopped;
		assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
		assertThat(earlyAt).as("checked early enough").isLessThan(delay.toNanos() / 2);
		assertThat(early).as("at first, responses close their connections").isTrue();
		if (tailAt < delay.toNanos()) {
			assertThat(listenerOpen).isTrue();
			assertThat(tail).as("in the tail they keep them").isFalse();
		}
		assertThat(listener.isOpen()).as("the listener closed").isFalse();
		assertThat(drain.closesConnections()).as("after the listener closed, they close again").isTrue();
		assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isGreaterThanOrEqualTo(delay.plus(Drain.LAST_CALL));
	}

}
