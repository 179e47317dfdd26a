package io.eino.serving.error;

/**
 * A failure the service expects, naming its {@link Rule}: each feature's exceptions
 * extend it, so {@link Failure#of} classifies them without knowing them. The message is
 * what the client is told; no stack trace is filled in unless a cause is kept for the
 * log.
 */
public abstract class ServingException extends RuntimeException {

	private final Rule rule;

	protected ServingException(Rule rule, String message) {
		super(message, null, false, false);
		this.rule = rule;
	}

	protected ServingException(Rule rule, String message, Throwable cause) {
		super(message, cause);
		this.rule = rule;
	}

	public Rule rule() {
		return this.rule;
	}

}
