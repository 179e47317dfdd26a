package io.eino.serving.ratelimit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.github.resilience4j.reactor.ratelimiter.operator.RateLimiterOperator;
import reactor.core.publisher.Mono;

/**
 * Rate limits per model and per client: quotas. A model's settings are Resilience4j's:
 * {@code resilience4j.ratelimiter.instances.<model>}, else
 * {@code resilience4j.ratelimiter.configs.default}; every client of the model gets its
 * own Resilience4j limiter with them (an API key with its own {@code rate-limit} gets
 * that many requests per period instead), so a client over its quota is refused while the
 * others go on. Clients are remembered per model up to a bound, least recently seen
 * forgotten first.
 *
 * <p>
 * A quota never changes with load: what a busy model can take is decided by admission to
 * its queue (docs/traffic.md), which refuses with 503 rather than 429. Never blocks and
 * never delays: the limiters' timeout is forced to zero, so a request over the quota
 * fails at once with {@link RateLimitedException} (429), carrying when the next permit is
 * free. Time is injected. Thread safe.
 */
public final class ClientRateLimiters {

	private final RateLimiterRegistry configurations;

	private final RateLimitProperties settings;

	private final Supplier<Long> nanoTime;

	private final ConcurrentMap<String, ModelLimits> models = new ConcurrentHashMap<>();

	/**
	 * @param configurations Resilience4j's registry, holding the configured settings
	 * @param nanoTime the limiters' clock
	 */
	public ClientRateLimiters(RateLimiterRegistry configurations, RateLimitProperties settings,
			Supplier<Long> nanoTime) {
		this.configurations = configurations;
		this.settings = settings;
		this.nanoTime = nanoTime;
	}

	/**
	 * {@code work}, subscribed only when {@code client} has a permit for {@code model};
	 * otherwise a {@link RateLimitedException} at once.
	 * @param quota the client's own requests per refresh period, or null for the model's
	 */
	public <T> Mono<T> limit(String model, String client, Integer quota, Mono<T> work) {
		if (!this.settings.enabled()) {
			return work;
		}
		AtomicRateLimiter limiter = limits(model).limiter(client, quota);
		return work.transformDeferred(RateLimiterOperator.of(limiter))
			.onErrorMap(RequestNotPermitted.class,
					(ex) -> new RateLimitedException(model, limiter.getRateLimiterConfig().getLimitForPeriod(),
							limiter.getRateLimiterConfig().getLimitRefreshPeriod(),
							Duration.ofNanos(Math.max(0, limiter.getDetailedMetrics().getNanosToWait()))));
	}

	private ModelLimits limits(String model) {
		return this.models.computeIfAbsent(model,
				(name) -> new ModelLimits(name, this.configurations.rateLimiter(name).getRateLimiterConfig()));
	}

	private final class ModelLimits {

		private final String model;

		private final RateLimiterConfig configured;

		/**
		 * Access-ordered, so the eldest is the least recently seen. Guarded by itself.
		 */
		private final Map<String, AtomicRateLimiter> clients;

		ModelLimits(String model, RateLimiterConfig configured) {
			this.model = model;
			this.configured = RateLimiterConfig.from(configured).timeoutDuration(Duration.ZERO).build();
			int bound = ClientRateLimiters.this.settings.maxTrackedClients();
			this.clients = new LinkedHashMap<>(16, 0.75f, true) {

				@Override
				protected boolean removeEldestEntry(Map.Entry<String, AtomicRateLimiter> eldest) {
					return size() > bound;
				}

			};
		}

		AtomicRateLimiter limiter(String client, Integer quota) {
			synchronized (this.clients) {
				AtomicRateLimiter limiter = this.clients.computeIfAbsent(client, (key) -> {
					RateLimiterConfig config = (quota != null)
							? RateLimiterConfig.from(this.configured).limitForPeriod(quota).build() : this.configured;
					return new AtomicRateLimiter(this.model + "/" + key, config, ClientRateLimiters.this.nanoTime);
				});
				int wanted = (quota != null) ? quota : this.configured.getLimitForPeriod();
				if (limiter.getRateLimiterConfig().getLimitForPeriod() != wanted) {
					// The key's quota was changed (a configuration refresh).
					limiter.changeLimitForPeriod(wanted);
				}
				return limiter;
			}
		}

	}

}
