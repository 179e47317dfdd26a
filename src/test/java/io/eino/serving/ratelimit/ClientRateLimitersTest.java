package io.eino.serving.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-client rate limits (quotas), on a fake clock: no sleeping, no threads.
 */
class ClientRateLimitersTest {

	private static final Duration PERIOD = Duration.ofSeconds(1);

	/** Nanoseconds since an arbitrary start; moved by hand. */
	private final AtomicLong now = new AtomicLong(1_000_000_000L);

	private final ClientRateLimiters limiters = limiters(4, 10_000);

	private ClientRateLimiters limiters(int limitForPeriod, int maxClients) {
		RateLimiterRegistry registry = RateLimiterRegistry.of(RateLimiterConfig.custom()
			.limitForPeriod(limitForPeriod)
			.limitRefreshPeriod(PERIOD)
			.timeoutDuration(Duration.ofSeconds(5))
			.build());
		return new ClientRateLimiters(registry, new RateLimitProperties(true, maxClients), this.now::get);
	}

	private boolean admitted(String client) {
		return Boolean.TRUE.equals(this.limiters.limit("sentiment", client, null, Mono.just(true))
			.onErrorResume(RateLimitedException.class, (ex) -> Mono.just(false))
			.block(Duration.ofSeconds(1)));
	}

	@Test
	void refusesAClientOverItsLimitAtOnceWhileOthersGoOn() {
		for (int i = 0; i < 4; i++) {
			assertThat(admitted("addr:10.0.0.1")).isTrue();
		}
		// The configured 5 s timeout is overridden: refused at once, not delayed.
		StepVerifier.create(this.limiters.limit("sentiment", "addr:10.0.0.1", null, Mono.just(true)))
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
		this.limiters.limit("sentiment", "addr:10.0.0.1", null, Mono.fromCallable(ran::incrementAndGet))
			.onErrorResume((ex) -> Mono.empty())
			.block();
		assertThat(ran).hasValue(0);
	}

	@Test
	void forgetsTheLeastRecentlySeenClientBeyondTheBound() {
		ClientRateLimiters bounded = limiters(1, 2);
		java.util.function.Function<String, Boolean> admitted = (client) -> Boolean.TRUE
			.equals(bounded.limit("sentiment", client, null, Mono.just(true))
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
	void aClientWithItsOwnQuotaGetsThatManyPermitsInsteadOfTheModels() {
		java.util.function.Supplier<Boolean> keyed = () -> Boolean.TRUE
			.equals(this.limiters.limit("sentiment", "key:reports", 10, Mono.just(true))
				.onErrorResume(RateLimitedException.class, (ex) -> Mono.just(false))
				.block());
		for (int i = 0; i < 10; i++) {
			assertThat(keyed.get()).as("permit %d of the key's 10", i + 1).isTrue();
		}
		StepVerifier.create(this.limiters.limit("sentiment", "key:reports", 10, Mono.just(true)))
			.expectErrorSatisfies((ex) -> assertThat(((RateLimitedException) ex).limit()).isEqualTo(10))
			.verify(Duration.ofMillis(500));
		// Anonymous clients keep the model's 4.
		for (int i = 0; i < 4; i++) {
			assertThat(admitted("addr:10.0.0.9")).isTrue();
		}
		assertThat(admitted("addr:10.0.0.9")).isFalse();
	}

	@Test
	void aQuotaNeverShrinksWithLoad() {
		// Quotas are not adapted: a client alone gets its full quota period after period.
		for (int period = 0; period < 5; period++) {
			for (int i = 0; i < 4; i++) {
				assertThat(admitted("addr:10.0.0.1")).as("period %d permit %d", period, i).isTrue();
			}
			assertThat(admitted("addr:10.0.0.1")).isFalse();
			this.now.addAndGet(PERIOD.toNanos());
		}
	}

}
