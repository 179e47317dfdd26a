package io.eino.serving.ratelimit;

import io.github.resilience4j.ratelimiter.RateLimiterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The per-client rate limiters, on the settings of Resilience4j's registry.
 */
@Configuration(proxyBeanMethods = false)
class RateLimitConfiguration {

	@Bean
	ClientRateLimiters clientRateLimiters(ObjectProvider<RateLimiterRegistry> registry,
			RateLimitProperties properties) {
		return new ClientRateLimiters(registry.getIfAvailable(RateLimiterRegistry::ofDefaults), properties,
				System::nanoTime);
	}

}
