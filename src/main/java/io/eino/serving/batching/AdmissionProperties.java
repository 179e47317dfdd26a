package io.eino.serving.batching;

import java.time.Duration;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Admission to a model version's queue ({@code eino.admission.*}; docs/traffic.md,
 * "Admission"): a request is refused with 503 {@code overloaded} when the work queued
 * ahead of it, counted fairly between clients, is predicted to take longer than
 * {@code maxQueueTime}.
 *
 * @param maxQueueTime the longest predicted wait admitted (0 = no bound by time; the
 * queue capacity still applies)
 * @param priorityLead how far ahead one step of a trusted {@code Eino-Priority} moves a
 * text, in predicted run time of its own client's work
 */
@Validated
@ConfigurationProperties("eino.admission")
public record AdmissionProperties(@NotNull @DefaultValue("1s") Duration maxQueueTime,
		@NotNull @DefaultValue("10ms") Duration priorityLead) {
}
