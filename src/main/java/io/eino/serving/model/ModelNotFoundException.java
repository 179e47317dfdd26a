package io.eino.serving.model;

import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;

/**
 * No model of that name is configured, or the version asked for is not loaded.
 */
public class ModelNotFoundException extends ServingException {

	public ModelNotFoundException(String message) {
		super(Rule.UNKNOWN_MODEL, message);
	}

}
