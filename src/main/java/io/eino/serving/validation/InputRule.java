package io.eino.serving.validation;

import io.eino.serving.validation.InvalidInputException.Kind;

/**
 * The validation layers' rules, in the order they run. Each is a problem type
 * ({@code urn:eino:problem:<slug>}) and a {@code rule} tag of the {@code eino.errors}
 * counter.
 */
public enum InputRule {

	/** The body is larger than {@code max-body-size}. */
	BODY_SIZE("body-size", Kind.TOO_LARGE),

	/** The body did not arrive whole within {@code eino.server.body-read-timeout}. */
	BODY_TIMEOUT("body-timeout", Kind.TOO_SLOW),

	/** The body is not valid UTF-8. */
	MALFORMED_UTF8("malformed-utf8", Kind.MALFORMED),

	/** The body is not JSON, or JSON deeper or longer than the parser's limits. */
	MALFORMED_JSON("malformed-json", Kind.MALFORMED),

	/** More texts (or tensor rows) than {@code max-instances}. */
	INSTANCES("instances", Kind.MALFORMED),

	/**
	 * A text holds half of a UTF-16 surrogate pair (only possible through a JSON escape).
	 */
	UNPAIRED_SURROGATE("unpaired-surrogate", Kind.MALFORMED),

	/**
	 * A text, after NFC normalisation, has more than {@code max-characters} characters.
	 */
	TEXT_LENGTH("text-length", Kind.UNPROCESSABLE),

	/** A text holds a control character other than tab and newline. */
	CONTROL_CHARACTER("control-character", Kind.UNPROCESSABLE),

	/** A text matches one of {@code deny-patterns}. */
	DENIED_PATTERN("denied-pattern", Kind.UNPROCESSABLE),

	/** A text is empty or only whitespace. */
	EMPTY_TEXT("empty-text", Kind.UNPROCESSABLE),

	/** A text has no letter in any script. */
	NO_LETTERS("no-letters", Kind.UNPROCESSABLE),

	/**
	 * One character repeated more than {@code max-repeated-characters} times in a row.
	 */
	CHARACTER_FLOOD("character-flood", Kind.UNPROCESSABLE),

	/** A text has more tokens than the model's window and the model rejects overflow. */
	TOKEN_BUDGET("token-budget", Kind.UNPROCESSABLE),

	/** Too many of a text's tokens are unknown to the tokenizer's vocabulary. */
	UNKNOWN_TOKENS("unknown-tokens", Kind.UNPROCESSABLE);

	private final String slug;

	private final Kind kind;

	InputRule(String slug, Kind kind) {
		this.slug = slug;
		this.kind = kind;
	}

	public String slug() {
		return this.slug;
	}

	public Kind kind() {
		return this.kind;
	}

}
