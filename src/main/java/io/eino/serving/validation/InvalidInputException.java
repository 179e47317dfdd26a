package io.eino.serving.validation;

/**
 * The request breaks one of the input rules (error tier "input"); {@link #rule()} names
 * it and becomes the problem type.
 */
public class InvalidInputException extends RuntimeException {

	/** How the request is wrong, which decides the HTTP status. */
	public enum Kind {

		/** It cannot be read as a request of the documented shape (400). */
		MALFORMED,

		/** It is larger than allowed (413). */
		TOO_LARGE,

		/** It is well-formed but its content is refused (422). */
		UNPROCESSABLE,

		/** It did not arrive in time (408). */
		TOO_SLOW

	}

	private final String rule;

	private final Kind kind;

	/**
	 * @param rule the rule, as a short slug ({@code text-length})
	 * @param kind how the request is wrong
	 * @param detail what was wrong, for the client; never the offending text itself
	 */
	public InvalidInputException(String rule, Kind kind, String detail) {
		super(detail, null, false, false);
		this.rule = rule;
		this.kind = kind;
	}

	/** A malformed request (400). */
	public InvalidInputException(String rule, String detail) {
		this(rule, Kind.MALFORMED, detail);
	}

	/** The rule a request failed as the catalogue entry. */
	public InvalidInputException(InputRule rule, String detail) {
		this(rule.slug(), rule.kind(), detail);
	}

	public String rule() {
		return this.rule;
	}

	public Kind kind() {
		return this.kind;
	}

}
