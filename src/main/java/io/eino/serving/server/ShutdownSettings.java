package io.eino.serving.server;

import java.time.Duration;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Graceful shutdown (docs/traffic.md, "Shutdown"): {@code eino.shutdown.*}.
 *
 * @param drainDelay after SIGTERM, how long the service keeps serving with readiness down
 * and {@code Connection: close} on every response, so that load balancers stop sending
 * before the listener closes (0 = close at once)
 */
@Validated
@ConfigurationProperties("eino.shutdown")
public record ShutdownSettings(@NotNull @DefaultValue("5s") Duration drainDelay) {
}
