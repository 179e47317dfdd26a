package io.eino.serving.text;

/**
 * What happens to a text whose tokens do not fit the model's window.
 */
public enum Overflow {

	/** Keep the first tokens that fit (special tokens included) and drop the rest. */
	TRUNCATE,

	/** Refuse the request with an input error naming the limit. */
	REJECT

}
