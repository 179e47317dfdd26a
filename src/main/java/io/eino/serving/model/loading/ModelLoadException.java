package io.eino.serving.model.loading;

import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;

/**
 * A version that failed one step of its build; it never takes traffic. The message names
 * the model, the version and the step, and for a package that cannot be opened, the key
 * id.
 */
public final class ModelLoadException extends ServingException {

	/** The steps of building a version, in order. */
	public enum Step {

		READ("read"), DECRYPT("decrypt"), LOAD("load"), OPTIMISE("optimise"), WARM_UP("warm-up"),
		HEALTH_CHECK("health-check");

		private final String slug;

		Step(String slug) {
			this.slug = slug;
		}

		public String slug() {
			return this.slug;
		}

	}

	private final String model;

	private final long version;

	private final Step step;

	public ModelLoadException(String model, long version, Step step, Throwable cause) {
		super((step == Step.DECRYPT) ? Rule.MODEL_DECRYPTION : Rule.MODEL_LOAD,
				"Model '" + model + "' version " + version + " failed at " + step.slug() + ": " + describe(cause),
				cause);
		this.model = model;
		this.version = version;
		this.step = step;
	}

	public String model() {
		return this.model;
	}

	public long version() {
		return this.version;
	}

	public Step step() {
		return this.step;
	}

	private static String describe(Throwable cause) {
		String message = cause.getMessage();
		if (message == null || message.isBlank()) {
			return cause.getClass().getSimpleName();
		}
		int newline = message.indexOf('\n');
		return (newline < 0) ? message : message.substring(0, newline);
	}

}
