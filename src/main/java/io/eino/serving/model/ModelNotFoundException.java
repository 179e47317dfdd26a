package io.eino.serving.model;

/**
 * No model of that name is configured, or the version asked for is not loaded.
 */
public class ModelNotFoundException extends RuntimeException {

	public ModelNotFoundException(String message) {
		super(message);
	}

}
