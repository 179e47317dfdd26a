package io.eino.serving.client;

import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;

/**
 * A request whose API key is not known, or without a key where one is required: 401, tier
 * input. The message never holds the key.
 */
public class ApiKeyException extends ServingException {

	private ApiKeyException(Rule rule, String message) {
		super(rule, message);
	}

	static ApiKeyException unknown() {
		return new ApiKeyException(Rule.UNKNOWN_API_KEY, "The API key in X-Api-Key is not known here");
	}

	static ApiKeyException missing() {
		return new ApiKeyException(Rule.MISSING_API_KEY, "This service needs an API key: send it in X-Api-Key");
	}

}
