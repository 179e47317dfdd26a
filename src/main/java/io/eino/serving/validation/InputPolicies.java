package io.eino.serving.validation;

import java.util.Map;
import java.util.stream.Collectors;

import io.eino.serving.EinoProperties;

/**
 * Each model's input validator: the {@code eino.validation.*} defaults with the model's
 * {@code eino.models.<name>.validation.*} overrides. Built once, at start-up, so a bad
 * deny pattern stops the service before it takes traffic. Immutable.
 */
public final class InputPolicies {

	private final TextValidator defaults;

	private final Map<String, TextValidator> models;

	public InputPolicies(EinoProperties properties) {
		this.defaults = new TextValidator(properties.validation());
		this.models = properties.models()
			.entrySet()
			.stream()
			.collect(Collectors.toUnmodifiableMap(Map.Entry::getKey,
					(model) -> new TextValidator(properties.validation().with(model.getValue().validation()))));
	}

	/** The validator of a model; the defaults for a name that is not configured. */
	public TextValidator forModel(String model) {
		return this.models.getOrDefault(model, this.defaults);
	}

}
