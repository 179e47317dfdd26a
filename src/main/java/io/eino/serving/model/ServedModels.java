package io.eino.serving.model;

import java.util.List;
import java.util.Map;

import io.eino.serving.text.Overflow;
import io.eino.serving.validation.ValidationOverrides;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The models to serve, by name, with per-model overrides of their {@code model.yaml}:
 * {@code eino.models.<name>.*}.
 *
 * @param models the served models by name
 */
@Validated
@ConfigurationProperties("eino")
public record ServedModels(Map<String, @Valid Settings> models) {

	public ServedModels {
		models = (models != null) ? Map.copyOf(models) : Map.of();
	}

	/**
	 * One served model.
	 *
	 * @param enabled whether it is served
	 * @param maxTokens overrides {@code max-tokens} of its {@code model.yaml}
	 * @param overflow overrides {@code overflow} of its {@code model.yaml}
	 * @param padTo pad every batch to this one length instead of length buckets (the
	 * "traditional" configuration); at least the model's max tokens
	 * @param validation overrides of the input limits
	 * @param fallback what is answered while the model is failing and no other version
	 * can answer
	 * @param versionPolicy which of its versions are loaded
	 */
	public record Settings(@DefaultValue("true") boolean enabled, @Min(2) Integer maxTokens, Overflow overflow,
			@Min(1) Integer padTo, @Valid ValidationOverrides validation, @Valid Fallback fallback,
			@Valid @DefaultValue VersionPolicy versionPolicy) {

		/** A model served with no overrides, its latest version loaded. */
		public static Settings defaults() {
			return new Settings(true, null, null, null, null, null,
					new VersionPolicy(VersionPolicy.Kind.LATEST, 1, List.of()));
		}

	}

	/**
	 * Which versions of a model are loaded (TensorFlow Serving's model version policy).
	 * The highest loaded version takes the traffic that names no version.
	 *
	 * @param kind latest (the {@code count} highest), all, or specific ({@code versions})
	 * @param count how many of the highest versions {@code latest} loads
	 * @param versions the versions {@code specific} loads
	 */
	public record VersionPolicy(@NotNull @DefaultValue("latest") Kind kind, @Min(1) @DefaultValue("1") int count,
			@NotNull @DefaultValue( {
			}) List<Long> versions){

		/** The kinds of version policy. */
		public enum Kind {

			LATEST, ALL, SPECIFIC

		}

	}

	/**
	 * A configured fallback answer, given for every text while a model is failing.
	 *
	 * @param label the label answered
	 * @param score its score
	 */
	public record Fallback(@NotEmpty String label, @DecimalMin("0.0") @DecimalMax("1.0") double score) {
	}

}
