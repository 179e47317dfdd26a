package io.eino.serving.model.loading;

import java.time.Duration;
import java.util.List;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Dynamic batching, for every model version: {@code eino.batching.*}.
 *
 * @param enabled gather concurrent requests into batches; off = every text runs alone
 * @param maxBatchSize a batch closes when it holds this many texts
 * @param maxQueueDelay a batch closes when its oldest text has waited this long
 * @param queueCapacity texts waiting per model version before requests are refused with
 * 503
 * @param allowedLengths lengths a batch may be padded to (the model's max tokens is
 * always allowed)
 * @param requestTimeout a request's deadline unless its {@code Eino-Timeout-Ms} header
 * says otherwise
 * @param maxBatchTokens a batch of texts holds at most this many padded positions (rows ×
 * padded length), so that long texts run in smaller batches; 0: no bound but
 * {@code maxBatchSize}
 */
@Validated
@ConfigurationProperties("eino.batching")
public record BatchingProperties(@DefaultValue("true") boolean enabled, @Min(1) @DefaultValue("64") int maxBatchSize,
		@NotNull @DefaultValue("2ms") Duration maxQueueDelay, @Min(1) @DefaultValue("1024") int queueCapacity,
		@NotEmpty @DefaultValue( {
				"8", "16", "32", "64", "128", "256" }) List<@Min(1) Integer> allowedLengths,
		@NotNull @DefaultValue("30s") Duration requestTimeout, @Min(0) @DefaultValue("4096") int maxBatchTokens){
}
