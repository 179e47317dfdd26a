package io.eino.serving.model;

import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;

/**
 * A model version failed on a well-formed request (error tier "model"): its run failed,
 * or it answered with values that are not finite. The service degrades: it falls back to
 * another loaded version or a configured answer.
 */
public class ModelFailureException extends ServingException {

	/** The rule of a run that failed. */
	public static final Rule EXECUTION = Rule.MODEL_EXECUTION;

	/** The rule of an answer that holds NaN or infinity. */
	public static final Rule OUTPUT = Rule.MODEL_OUTPUT;

	public ModelFailureException(Rule rule, String message, Throwable cause) {
		super(rule, message, cause);
	}

}
