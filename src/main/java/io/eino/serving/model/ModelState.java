package io.eino.serving.model;

/**
 * A version's state, with TF Serving's names.
 */
public enum ModelState {

	/** Being prepared. */
	LOADING,

	/** Serving. */
	AVAILABLE,

	/** Failed to load; never served. */
	END

}
