package io.eino.serving.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A port's connection limits on Netty's embedded channels and a fake clock: which
 * connection a new one replaces, when a new one is refused instead, and what is counted.
 */
class ConnectionLimitTest {

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final AtomicLong clock = new AtomicLong();

	@Test
	void pastItsOwnLimitAClientsNewConnectionReplacesItsLongestIdleOne() {
		ConnectionLimit limit = new ConnectionLimit(100, 3, "public", this.meters, this.clock::get);
		List<EmbeddedChannel> held = open(limit, "hog", 3);
		limit.busy(held.get(0));
		this.clock.addAndGet(2 * ConnectionLimit.MIN_IDLE_NANOS);
		// held.get(1) answered a request after held.get(2) was opened: 2 is idle longest.
		limit.busy(held.get(1));
		limit.idle(held.get(1));
		EmbeddedChannel next = open(limit, "hog", 1).get(0);
		assertThat(next.isOpen()).isTrue();
		assertThat(held.get(2).isOpen()).as("the longest idle").isFalse();
		assertThat(held.get(0).isOpen()).as("busy: never closed").isTrue();
		assertThat(held.get(1).isOpen()).isTrue();
		assertThat(limit.open()).isEqualTo(3);
		assertThat(evicted()).isEqualTo(1);
		limit.busy(next);
		EmbeddedChannel refused = new EmbeddedChannel();
		assertThat(limit.admit(refused, "hog")).as("the only idle connection was used within a second").isFalse();
		assertThat(refused.isOpen()).isFalse();
		assertThat(refused()).isEqualTo(1);
		assertThat(open(limit, "other", 1).get(0).isOpen()).as("another client is not held back").isTrue();
	}

	@Test
	void atThePortsLimitANewClientReplacesAnIdleConnectionOfTheClientHoldingTheMost() {
		ConnectionLimit limit = new ConnectionLimit(6, 6, "public", this.meters, this.clock::get);
		List<EmbeddedChannel> big = open(limit, "big", 4);
		List<EmbeddedChannel> small = open(limit, "small", 2);
		limit.busy(big.get(0));
		this.clock.addAndGet(ConnectionLimit.MIN_IDLE_NANOS);
		EmbeddedChannel newcomer = open(limit, "new", 1).get(0);
		assertThat(newcomer.isOpen()).isTrue();
		assertThat(big.get(0).isOpen()).as("busy").isTrue();
		assertThat(big.get(1).isOpen()).as("the biggest client's longest idle").isFalse();
		assertThat(small).allMatch(EmbeddedChannel::isOpen);
		assertThat(limit.open()).isEqualTo(6);
		// big 3, small 2, new 1: new connections keep taking from the biggest.
		open(limit, "new", 1);
		assertThat(big.stream().filter(EmbeddedChannel::isOpen).count()).isEqualTo(2);
		// big 2, small 2, new 2: "small" holds as many as anyone, and replaces its own.
		this.clock.addAndGet(ConnectionLimit.MIN_IDLE_NANOS);
		small.add(open(limit, "small", 1).get(0));
		assertThat(small.get(0).isOpen()).isFalse();
		assertThat(big.stream().filter(EmbeddedChannel::isOpen).count()).isEqualTo(2);
		// With all of its own busy, "small" takes nothing from clients holding as many.
		small.forEach(limit::busy);
		limit.busy(big.get(3));
		EmbeddedChannel refused = new EmbeddedChannel();
		assertThat(limit.admit(refused, "small")).as("only bigger clients' idle connections").isFalse();
		assertThat(refused.isOpen()).isFalse();
		assertThat(evicted()).isEqualTo(3);
		assertThat(refused()).isEqualTo(1);
	}

	@Test
	void aClosedConnectionFreesItsPlaceOnce() {
		ConnectionLimit limit = new ConnectionLimit(2, 2, "public", this.meters, this.clock::get);
		List<EmbeddedChannel> held = open(limit, "a", 2);
		held.forEach(limit::busy);
		assertThat(limit.admit(new EmbeddedChannel(), "b")).isFalse();
		held.get(0).close();
		held.get(0).close();
		limit.idle(held.get(0));
		assertThat(limit.open()).isEqualTo(1);
		this.clock.addAndGet(ConnectionLimit.LOG_INTERVAL_NANOS);
		EmbeddedChannel again = new EmbeddedChannel();
		assertThat(limit.admit(again, "b")).as("a closed connection frees its place").isTrue();
		assertThat(limit.open()).isEqualTo(2);
		assertThat(limit.admit(new EmbeddedChannel(), "c")).isFalse();
	}

	private static List<EmbeddedChannel> open(ConnectionLimit limit, String client, int count) {
		List<EmbeddedChannel> opened = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			EmbeddedChannel channel = new EmbeddedChannel();
			assertThat(limit.admit(channel, client)).isTrue();
			limit.idle(channel);
			opened.add(channel);
		}
		return opened;
	}

	private double evicted() {
		return this.meters.get("eino.connections.evicted").tag("port", "public").counter().count();
	}

	private double refused() {
		return this.meters.get("eino.connections.refused").tag("port", "public").counter().count();
	}

}
