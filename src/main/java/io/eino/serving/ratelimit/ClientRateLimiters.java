package io.eino.serving.ratelimit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

import io.eino.serving.EinoProperties;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.github.resilience4j.reactor.ratelimiter.operator.RateLimiterOperator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

/**
 * Rate limits per model and per client. A model's settings are Resilience4j's:
 * {@code resilience4j.ratelimiter.instances.<model>}, else
 * {@code resilience4j.ratelimiter.configs.default}; every client of the model gets its
 * own Resilience4j limiter with them, so a client over its limit is refused while the
 * others go on. Clients are remembered per model up to a bound, least recently seen
 * forgotten first.
 *
 * <p>
 * Never blocks and never delays: the limiters' timeout is forced to zero, so a request
 * over the limit fails at once with {@link RateLimitedException} (429), carrying when the
 * next permit is free. The limit adapts to saturation ({@link AdaptiveLimit}); the
 * {@code eino.ratelimit.limit} gauge shows the limit in force per model. Time is
 * injected. Thread safe.
 */
public final class ClientRateLimiters {

	private final RateLimiterRegistry configurations;

	private final EinoProperties.RateLimit settings;

	private final MeterRegistry meters;

	private final Supplier<Long> nanoTime;

	private final ConcurrentMap<String, ModelLimits> models = new ConcurrentHashMap<>();

	/**
	 * @param configurations Resilience4j's registry, holding the configured settings
	 * @param nanoTime the limiters' clock
	 */
	public ClientRateLimiters(RateLimiterRegistry configurations, EinoProperties.RateLimit settings,
			MeterRegistry meters, Supplier<Long> nanoTime) {
		this.configurations = configurations;
		this.settings = settings;
		this.meters = meters;
		this.nanoTime = nanoTime;
	}

	/**
	 * {@code work}, subscribed only when {@code client} has a permit for {@code model};
	 * otherwise a {@link RateLimitedException} at once.
	 */
	public <T> Mono<T> limit(String model, String client, Mono<T> work) {
		if (!this.settings.enabled()) {
			return work;
		}
		AtomicRateLimiter limiter = limits(model).limiter(client);
		return work.transformDeferred(RateLimiterOperator.of(limiter))
			.onErrorMap(RequestNotPermitted.class,
					(ex) -> new RateLimitedException(model, limiter.getRateLimiterConfig().getLimitForPeriod(),
							limiter.getRateLimiterConfig().getLimitRefreshPeriod(),
							Duration.ofNanos(Math.max(0, limiter.getDetailedMetrics().getNanosToWait()))));
	}

	/**
	 * Adapts a model's limit to the last interval's mean queue wait (NaN: no signal).
	 * @return the limit now in force
	 */
	public int adapt(String model, double meanQueueWaitNanos) {
		return limits(model).adapt(meanQueueWaitNanos);
	}

	/** The limit in force per client for a model, requests per refresh period. */
	public int limitInForce(String model) {
		return limits(model).adaptive.current();
	}

	/** The models that have a limiter. */
	public List<String> models() {
		return new ArrayList<>(this.models.keySet());
	}

	private ModelLimits limits(String model) {
		return this.models.computeIfAbsent(model, (name) -> {
			RateLimiterConfig configured = this.configurations.rateLimiter(name).getRateLimiterConfig();
			ModelLimits limits = new ModelLimits(name, configured);
			Gauge.builder("eino.ratelimit.limit", limits.adaptive, AdaptiveLimit::current)
				.description("Requests per refresh period each client may send, after adapting to saturation")
				.tags("model", name)
				.register(this.meters);
			return limits;
		});
	}

	private final class ModelLimits {

		private final String model;

		private final RateLimiterConfig configured;

		private final AdaptiveLimit adaptive;

		/**
		 * Access-ordered, so the eldest is the least recently seen. Guarded by itself.
		 */
		private final Map<String, AtomicRateLimiter> clients;

		ModelLimits(String model, RateLimiterConfig configured) {
			this.model = model;
			this.configured = RateLimiterConfig.from(configured).timeoutDuration(Duration.ZERO).build();
			this.adaptive = new AdaptiveLimit(configured.getLimitForPeriod(),
					ClientRateLimiters.this.settings.adaptive());
			int bound = ClientRateLimiters.this.settings.maxTrackedClients();
			this.clients = new LinkedHashMap<>(16, 0.75f, true) {

				@Override
				protected boolean removeEldestEntry(Map.Entry<String, AtomicRateLimiter> eldest) {
					return size() > bound;
				}

			};
		}

		AtomicRateLimiter limiter(String client) {
			synchronized (this.clients) {
				return this.clients.computeIfAbsent(client, (key) -> {
					RateLimiterConfig config = RateLimiterConfig.from(this.configured)
						.limitForPeriod(this.adaptive.current())
						.build();
					return new AtomicRateLimiter(this.model + "/" + key, config, ClientRateLimiters.this.nanoTime);
				});
			}
		}

		int adapt(double meanQueueWaitNanos) {
			int before = this.adaptive.current();
			int now = this.adaptive.update(meanQueueWaitNanos);
			if (now != before) {
				synchronized (this.clients) {
					this.clients.values().forEach((limiter) -> limiter.changeLimitForPeriod(now));
				}
			}
			return now;
		}

	}

}
