package io.eino.serving.api;

/**
 * Headers of the public API.
 */
final class ApiHeaders {

	/** The model version that computed an inference response. */
	static final String MODEL_VERSION = "Eino-Model-Version";

	private ApiHeaders() {
	}

}
