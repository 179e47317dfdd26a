package io.eino.serving.ratelimit;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.eino.serving.EinoProperties;
import io.eino.serving.model.ModelRegistry;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The per-client rate limiters, on the settings of Resilience4j's registry, and the
 * thread ({@code eino-rate-adapter}) that adapts them to each model's queue wait every
 * {@code eino.rate-limit.adaptive.interval}.
 */
@Configuration(proxyBeanMethods = false)
class RateLimitConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(RateLimitConfiguration.class);

	@Bean
	ClientRateLimiters clientRateLimiters(ObjectProvider<RateLimiterRegistry> registry, EinoProperties properties,
			MeterRegistry meters) {
		return new ClientRateLimiters(registry.getIfAvailable(RateLimiterRegistry::ofDefaults), properties.rateLimit(),
				meters, System::nanoTime);
	}

	@Bean(destroyMethod = "shutdownNow")
	ScheduledExecutorService rateAdapter(ClientRateLimiters limiters, ModelRegistry models, EinoProperties properties) {
		ScheduledExecutorService adapter = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "eino-rate-adapter");
			thread.setDaemon(true);
			return thread;
		});
		EinoProperties.RateLimit settings = properties.rateLimit();
		if (settings.enabled() && settings.adaptive().enabled()) {
			long interval = settings.adaptive().interval().toNanos();
			adapter.scheduleAtFixedRate(() -> adapt(limiters, models), interval, interval, TimeUnit.NANOSECONDS);
		}
		return adapter;
	}

	private static void adapt(ClientRateLimiters limiters, ModelRegistry models) {
		for (String model : limiters.models()) {
			try {
				if (models.isReady(model)) {
					double wait = models.serving(model, null).runners().metrics().takeMeanQueueWaitNanos();
					int before = limiters.limitInForce(model);
					int now = limiters.adapt(model, wait);
					if (now != before) {
						logger.info("Rate limit of model '{}' now {} per client (mean queue wait {} ms)", model, now,
								Math.round(wait / 1e5) / 10.0);
					}
				}
			}
			catch (RuntimeException ex) {
				logger.warn("Could not adapt the rate limit of model '{}': {}", model, ex.toString());
			}
		}
	}

}
