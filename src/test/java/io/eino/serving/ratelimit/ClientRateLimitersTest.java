package io.eino.serving.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.eino.serving.EinoProperties;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-client rate limits and their adaptation, on a fake clock: no sleeping, no threads.
 */
class ClientRateLimitersTest {

	private static final Duration PERIOD = Duration.ofSeconds(1);

	private static final EinoProperties.Adaptive ADAPTIVE = new EinoProperties.Adaptive(true, Duration.ofMillis(100),
			Duration.ofSeconds(1), 0.5, 0.25, 0.1);

	/** Nanoseconds since an arbitrary start; moved by hand. */
	private final AtomicLong now = new AtomicLong(1_000_000_000L);

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final ClientRateLimiters limiters = limiters(4, 10_000);

	private ClientRateLimiters limiters(int limitForPeriod, int maxClients) {
		RateLimiterRegistry registry = RateLimiterRegistry.of(RateLimiterConfig.custom()
			.limitForPeriod(limitForPeriod)
			.limitRefreshPeriod(PERIOD)
			.timeoutDuration(Duration.ofSeconds(5))
			.build());
		return new ClientRateLimiters(registry, new EinoProperties.RateLimit(true, maxClients, ADAPTIVE), this.meters,
				this.now::get);
	}

	private boolean admitted(String client) {
		return Boolean.TRUE.equals(this.limiters.limit("sentiment", client, Mono.just(true))
			.onErrorResume(RateLimitedException.class, (ex) -> Mono.just(false))
			.block(Duration.ofSeconds(1)));
	}

	@Test
	void refusesAClientOverItsLimitAtOnceWhileOthersGoOn() {
		for (int i = 0; i < 4; i++) {
			assertThat(admitted("addr:10.0.0.1")).isTrue();
		}
		// The configured 5 s timeout is overridden: refused at once, not delayed.
		StepVerifier.create(this.limiters.limit("sentiment", "addr:10.0.0.1", Mono.just(true)))
			.expectErrorSatisfies((ex) -> {
				RateLimitedException limited = (RateLimitedException) ex;
				assertThat(limited.limit()).isEqualTo(4);
				assertThat(limited.period()).isEqualTo(PERIOD);
				assertThat(limited.retryAfter()).isPositive().isLessThanOrEqualTo(PERIOD);
			})
			.verify(Duration.ofMillis(500));
		assertThat(admitted("addr:10.0.0.2")).isTrue();
		assertThat(admitted("key:abc")).isTrue();
	}

	@Test
	void aClientGetsItsPermitsBackWhenThePeriodTurns() {
		for (int i = 0; i < 4; i++) {
			admitted("addr:10.0.0.1");
		}
		assertThat(admitted("addr:10.0.0.1")).isFalse();
		this.now.addAndGet(PERIOD.toNanos());
		assertThat(admitted("addr:10.0.0.1")).isTrue();
	}

	@Test
	void theWorkIsNotSubscribedWhenRefused() {
		for (int i = 0; i < 4; i++) {
			admitted("addr:10.0.0.1");
		}
		AtomicLong ran = new AtomicLong();
		this.limiters.limit("sentiment", "addr:10.0.0.1", Mono.fromCallable(ran::incrementAndGet))
			.onErrorResume((ex) -> Mono.empty())
			.block();
		assertThat(ran).hasValue(0);
	}

	@Test
	void forgetsTheLeastRecentlySeenClientBeyondTheBound() {
		ClientRateLimiters bounded = limiters(1, 2);
		java.util.function.Function<String, Boolean> admitted = (client) -> Boolean.TRUE
			.equals(bounded.limit("sentiment", client, Mono.just(true))
				.onErrorResume(RateLimitedException.class, (ex) -> Mono.just(false))
				.block());
		assertThat(admitted.apply("a")).isTrue();
		assertThat(admitted.apply("a")).isFalse();
		assertThat(admitted.apply("b")).isTrue();
		assertThat(admitted.apply("c")).isTrue();
		// "a" was forgotten when "c" came: it starts afresh.
		assertThat(admitted.apply("a")).isTrue();
	}

	@Test
	void theLimitShrinksWhileQueueWaitIsOverTheTargetAndRecoversAfter() {
		ClientRateLimiters adaptive = limiters(100, 10_000);
		adaptive.limit("sentiment", "a", Mono.just(true)).block();
		assertThat(adaptive.limitInForce("sentiment")).isEqualTo(100);
		assertThat(adaptive.adapt("sentiment", Duration.ofMillis(250).toNanos())).isEqualTo(50);
		assertThat(adaptive.adapt("sentiment", Duration.ofMillis(250).toNanos())).isEqualTo(25);
		assertThat(gauge()).isEqualTo(25);
		// Between half the target and the target: hold.
		assertThat(adaptive.adapt("sentiment", Duration.ofMillis(70).toNanos())).isEqualTo(25);
		// No text started: no signal, hold.
		assertThat(adaptive.adapt("sentiment", Double.NaN)).isEqualTo(25);
		// Never below the minimum share.
		for (int i = 0; i < 10; i++) {
			adaptive.adapt("sentiment", Duration.ofSeconds(2).toNanos());
		}
		assertThat(adaptive.limitInForce("sentiment")).isEqualTo(10);
		// Calm: grows back by a quarter of the configured limit per interval, up to it.
		assertThat(adaptive.adapt("sentiment", Duration.ofMillis(10).toNanos())).isEqualTo(35);
		for (int i = 0; i < 10; i++) {
			adaptive.adapt("sentiment", Duration.ofMillis(10).toNanos());
		}
		assertThat(adaptive.limitInForce("sentiment")).isEqualTo(100);
	}

	@Test
	void aShrunkLimitAppliesToClientsAlreadyTrackedAndToNewOnes() {
		ClientRateLimiters adaptive = limiters(4, 10_000);
		adaptive.limit("sentiment", "old", Mono.just(true)).block();
		adaptive.adapt("sentiment", Duration.ofSeconds(1).toNanos());
		adaptive.adapt("sentiment", Duration.ofSeconds(1).toNanos());
		assertThat(adaptive.limitInForce("sentiment")).isEqualTo(1);
		this.now.addAndGet(PERIOD.toNanos());
		for (String client : new String[] { "old", "new" }) {
			assertThat(adaptive.limit("sentiment", client, Mono.just(true)).block()).isTrue();
			StepVerifier.create(adaptive.limit("sentiment", client, Mono.just(true)))
				.expectError(RateLimitedException.class)
				.verify();
		}
	}

	private double gauge() {
		return this.meters.get("eino.ratelimit.limit").tag("model", "sentiment").gauge().value();
	}

}
