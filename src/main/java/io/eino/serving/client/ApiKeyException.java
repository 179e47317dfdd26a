package io.eino.serving.client;

/**
 * A request whose API key is not known, or without a key where one is required: 401, tier
 * input. The message never holds the key.
 */
public class ApiKeyException extends RuntimeException {

	/** The rule of an unknown key. */
	public static final String UNKNOWN = "unknown-api-key";

	/** The rule of a missing key. */
	public static final String MISSING = "missing-api-key";

	private final String rule;

	private ApiKeyException(String rule, String message) {
		super(message, null, false, false);
		this.rule = rule;
	}

	static ApiKeyException unknown() {
		return new ApiKeyException(UNKNOWN, "The API key in X-Api-Key is not known here");
	}

	static ApiKeyException missing() {
		return new ApiKeyException(MISSING, "This service needs an API key: send it in X-Api-Key");
	}

	public String rule() {
		return this.rule;
	}

}
