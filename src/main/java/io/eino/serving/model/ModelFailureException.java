package io.eino.serving.model;

/**
 * A model version failed on a well-formed request (error tier "model"): its run failed,
 * or it answered with values that are not finite. The service degrades: it falls back to
 * another loaded version or a configured answer.
 */
public class ModelFailureException extends RuntimeException {

	/** The rule of a run that failed. */
	public static final String EXECUTION = "model-execution";

	/** The rule of an answer that holds NaN or infinity. */
	public static final String OUTPUT = "model-output";

	private final String rule;

	public ModelFailureException(String rule, String message, Throwable cause) {
		super(message, cause);
		this.rule = rule;
	}

	public String rule() {
		return this.rule;
	}

}
