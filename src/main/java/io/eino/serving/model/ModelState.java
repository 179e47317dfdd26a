package io.eino.serving.model;

/**
 * A version's state, with TF Serving's names.
 */
public enum ModelState {

	/** Being prepared. */
	LOADING,

	/** Serving. */
	AVAILABLE,

	/** Replaced or removed: finishing its in-flight work before it is closed. */
	UNLOADING,

	/** Failed to load; never served. */
	END

}
