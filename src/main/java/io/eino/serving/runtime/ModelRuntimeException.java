package io.eino.serving.runtime;

/**
 * TensorFlow failed to load or run a model: a native error, not a problem with the
 * request.
 */
public class ModelRuntimeException extends RuntimeException {

	public ModelRuntimeException(String message, Throwable cause) {
		super(message, cause);
	}

	public ModelRuntimeException(String message) {
		super(message);
	}

}
