package io.eino.serving.validation;

import java.util.List;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;

import org.springframework.util.unit.DataSize;

/**
 * One model's overrides of {@link ValidationProperties}
 * ({@code eino.models.<name>.validation.*}); what is left out keeps the default.
 * {@link InputPolicies#merge} applies them.
 *
 * @param maxBodySize see {@link ValidationProperties#maxBodySize()}
 * @param maxInstances see {@link ValidationProperties#maxInstances()}
 * @param maxCharacters see {@link ValidationProperties#maxCharacters()}
 * @param denyPatterns see {@link ValidationProperties#denyPatterns()}
 * @param requireLetters see {@link ValidationProperties#requireLetters()}
 * @param maxRepeatedCharacters see {@link ValidationProperties#maxRepeatedCharacters()}
 * @param maxUnknownTokenRatio see {@link ValidationProperties#maxUnknownTokenRatio()}
 */
public record ValidationOverrides(DataSize maxBodySize, @Min(1) Integer maxInstances, @Min(1) Integer maxCharacters,
		List<String> denyPatterns, Boolean requireLetters, @Min(1) Integer maxRepeatedCharacters,
		@DecimalMin("0.0") @DecimalMax("1.0") Double maxUnknownTokenRatio) {
}
