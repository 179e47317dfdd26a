package io.eino.serving.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A port's connection limit on Netty's embedded channels and a fake clock: connections
 * past it are closed at once and counted, a closed one frees its place.
 */
class ConnectionLimitTest {

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final AtomicLong clock = new AtomicLong();

	@Test
	void connectionsPastTheLimitAreClosedAndCountedAndAClosedOneFreesItsPlace() {
		ConnectionLimit limit = new ConnectionLimit(2, "public", this.meters, this.clock::get);
		List<EmbeddedChannel> admitted = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			EmbeddedChannel channel = new EmbeddedChannel();
			assertThat(limit.admit(channel)).isTrue();
			admitted.add(channel);
		}
		for (int i = 0; i < 3; i++) {
			EmbeddedChannel refused = new EmbeddedChannel();
			assertThat(limit.admit(refused)).isFalse();
			assertThat(refused.isOpen()).as("closed as it was accepted").isFalse();
		}
		assertThat(limit.open()).isEqualTo(2);
		assertThat(this.meters.get("eino.connections.refused").tag("port", "public").counter().count()).isEqualTo(3);
		admitted.get(0).close();
		assertThat(limit.open()).isEqualTo(1);
		this.clock.addAndGet(ConnectionLimit.LOG_INTERVAL_NANOS);
		EmbeddedChannel again = new EmbeddedChannel();
		assertThat(limit.admit(again)).as("a closed connection frees its place").isTrue();
		assertThat(again.isOpen()).isTrue();
	}

}
