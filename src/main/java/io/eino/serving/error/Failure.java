package io.eino.serving.error;

/**
 * What a failure is, decided in this one place for every stage (docs/errors.md and
 * "Request path"): the {@link Rule} that names it, which carries its tier and HTTP
 * status, and the detail a client may see. The API turns it into a problem; plugins see
 * it as the request's outcome.
 *
 * @param rule the rule that failed
 * @param detail what the client is told; never a stack trace or internal state
 */
public record Failure(Rule rule, String detail) {

	/**
	 * Classifies a failure of any stage: the rule a {@link ServingException} names, else
	 * an internal error.
	 */
	public static Failure of(Throwable failure) {
		if (failure instanceof ServingException known) {
			return new Failure(known.rule(), known.getMessage());
		}
		return new Failure(Rule.INTERNAL_ERROR, "The service failed to process the request; it has been logged");
	}

	public ErrorTier tier() {
		return this.rule.tier();
	}

	public int status() {
		return this.rule.status();
	}

}
