package io.eino.serving.validation;

import java.util.List;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Input limits, checked before anything reaches a model: {@code eino.validation.*} for
 * every model, each of which may override them ({@link ValidationOverrides}).
 *
 * @param maxBodySize larger request bodies are refused with 413
 * @param maxInstances texts (or tensor rows) per request
 * @param maxCharacters characters (Unicode code points, after NFC normalisation) per text
 * @param denyPatterns RE2 regular expressions; a text containing a match is refused
 * @param requireLetters refuse texts without a letter in any script
 * @param maxRepeatedCharacters the longest run of one non-space character allowed
 * @param maxUnknownTokenRatio the largest share of a text's tokens that may be unknown to
 * the tokenizer's vocabulary (1 = no check)
 */
@Validated
@ConfigurationProperties("eino.validation")
public record ValidationProperties(@NotNull @DefaultValue("1MB") DataSize maxBodySize,
		@Min(1) @DefaultValue("64") int maxInstances, @Min(1) @DefaultValue("1024") int maxCharacters,
		@NotNull @DefaultValue( {
				"[<>]" }) List<String> denyPatterns,
		@DefaultValue("true") boolean requireLetters, @Min(1) @DefaultValue("32") int maxRepeatedCharacters,
		@DecimalMin("0.0") @DecimalMax("1.0") @DefaultValue("0.5") double maxUnknownTokenRatio){

	public ValidationProperties {
		denyPatterns = List.copyOf(denyPatterns);
	}

}
