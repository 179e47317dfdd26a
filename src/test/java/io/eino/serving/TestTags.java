package io.eino.serving;

/**
 * JUnit tags of the test suite. {@code ./mvnw test -Pfast} leaves out the classes tagged
 * {@link #TENSORFLOW}: the fast loop a change can run first (docs/testing.md).
 */
public final class TestTags {

	/**
	 * Tests that start TensorFlow sessions: on a model of their own, the default model,
	 * or the whole service.
	 */
	public static final String TENSORFLOW = "tensorflow";

	private TestTags() {
	}

}
