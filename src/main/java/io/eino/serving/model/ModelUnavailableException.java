package io.eino.serving.model;

/**
 * The model is configured but has no version able to serve (still loading, or every
 * version failed to load).
 */
public class ModelUnavailableException extends RuntimeException {

	public ModelUnavailableException(String message) {
		super(message);
	}

}
