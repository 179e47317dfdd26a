package io.eino.serving.model;

import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;

/**
 * The model is configured but has no version able to serve (still loading, or every
 * version failed to load).
 */
public class ModelUnavailableException extends ServingException {

	public ModelUnavailableException(String message) {
		super(Rule.MODEL_UNAVAILABLE, message);
	}

}
