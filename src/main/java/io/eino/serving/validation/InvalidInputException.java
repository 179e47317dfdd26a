package io.eino.serving.validation;

import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;

/**
 * A request refused for its input (tier "input"): a problem naming the {@link Rule} that
 * failed, with the rule's status. The message is the problem's detail; it never quotes
 * more of the input than the client needs to find the fault.
 */
public class InvalidInputException extends ServingException {

	public InvalidInputException(Rule rule, String detail) {
		super(rule, detail);
	}

}
