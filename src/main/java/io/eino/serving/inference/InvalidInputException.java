package io.eino.serving.inference;

/**
 * The request breaks one of the input rules; {@link #rule()} names it (it becomes the
 * problem type).
 */
public class InvalidInputException extends RuntimeException {

	private final String rule;

	private final boolean unprocessable;

	/**
	 * @param rule the rule, as a short slug ({@code empty-instances})
	 * @param detail what was wrong, for the client
	 * @param unprocessable true when the request is well-formed but its content is
	 * refused (422), false when it is malformed (400)
	 */
	public InvalidInputException(String rule, String detail, boolean unprocessable) {
		super(detail);
		this.rule = rule;
		this.unprocessable = unprocessable;
	}

	public InvalidInputException(String rule, String detail) {
		this(rule, detail, false);
	}

	public String rule() {
		return this.rule;
	}

	public boolean unprocessable() {
		return this.unprocessable;
	}

}
