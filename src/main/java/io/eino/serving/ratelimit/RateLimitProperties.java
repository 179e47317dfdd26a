package io.eino.serving.ratelimit;

import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Rate limiting, {@code eino.rate-limit.*}. The limits themselves are Resilience4j's
 * properties: {@code resilience4j.ratelimiter.configs.default} and
 * {@code resilience4j.ratelimiter.instances.<model>}; each client of a model gets its own
 * limiter with the model's settings.
 *
 * @param enabled whether requests are rate limited
 * @param maxTrackedClients clients remembered per model; the least recently seen is
 * forgotten beyond that
 */
@Validated
@ConfigurationProperties("eino.rate-limit")
public record RateLimitProperties(@DefaultValue("true") boolean enabled,
		@Min(1) @DefaultValue("10000") int maxTrackedClients) {
}
