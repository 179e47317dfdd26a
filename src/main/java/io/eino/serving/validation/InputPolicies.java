package io.eino.serving.validation;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * Each model's input validator: the {@code eino.validation.*} defaults with the model's
 * {@code eino.models.<name>.validation.*} overrides. Built once, at start-up, so a bad
 * deny pattern stops the service before it takes traffic. Immutable.
 */
public final class InputPolicies {

	private final TextValidator defaults;

	private final Map<String, TextValidator> models;

	/**
	 * @param defaults the limits of every model
	 * @param overrides each configured model's overrides (an entry may hold nulls only)
	 */
	public InputPolicies(ValidationProperties defaults, Map<String, ValidationOverrides> overrides) {
		this.defaults = new TextValidator(defaults);
		this.models = overrides.entrySet()
			.stream()
			.collect(Collectors.toUnmodifiableMap(Map.Entry::getKey,
					(model) -> new TextValidator(merge(defaults, model.getValue()))));
	}

	/** The validator of a model; the defaults for a name that is not configured. */
	public TextValidator forModel(String model) {
		return this.models.getOrDefault(model, this.defaults);
	}

	/** The limits with a model's overrides applied; the limits when there are none. */
	public static ValidationProperties merge(ValidationProperties limits, ValidationOverrides overrides) {
		if (overrides == null) {
			return limits;
		}
		return new ValidationProperties(orElse(overrides.maxBodySize(), limits.maxBodySize()),
				orElse(overrides.maxInstances(), limits.maxInstances()),
				orElse(overrides.maxCharacters(), limits.maxCharacters()),
				orElse(overrides.denyPatterns(), limits.denyPatterns()),
				orElse(overrides.requireLetters(), limits.requireLetters()),
				orElse(overrides.maxRepeatedCharacters(), limits.maxRepeatedCharacters()),
				orElse(overrides.maxUnknownTokenRatio(), limits.maxUnknownTokenRatio()));
	}

	private static <T> T orElse(T override, T value) {
		return (override != null) ? override : value;
	}

}
