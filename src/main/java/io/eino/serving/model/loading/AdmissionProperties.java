package io.eino.serving.model.loading;

import java.time.Duration;

import io.eino.serving.batching.BatchingOptions;
import jakarta.validation.constraints.NotNull;
import org.jspecify.annotations.Nullable;

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
 * text, in predicted run time of its own client's work (unset: 10 ms, the queue's
 * default)
 */
@Validated
@ConfigurationProperties("eino.admission")
public record AdmissionProperties(@NotNull @DefaultValue("1s") Duration maxQueueTime, @Nullable Duration priorityLead) {

	public AdmissionProperties {
		// The default is the queue's own (BatchingOptions), defined there only.
		priorityLead = (priorityLead != null) ? priorityLead : BatchingOptions.DEFAULT_PRIORITY_LEAD;
	}

}
