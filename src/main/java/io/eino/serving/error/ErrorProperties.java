package io.eino.serving.error;

import java.time.Duration;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How the error tiers react: {@code eino.errors.*}.
 *
 * @param systemErrorThreshold this many system-tier errors within
 * {@code systemErrorWindow} take readiness down until the window has fewer
 * @param systemErrorWindow see {@code systemErrorThreshold}
 */
@Validated
@ConfigurationProperties("eino.errors")
public record ErrorProperties(@Min(1) @DefaultValue("5") int systemErrorThreshold,
		@NotNull @DefaultValue("60s") Duration systemErrorWindow) {
}
