package io.eino.serving.text;

/**
 * A text produced more tokens than the model's window and the model is configured to
 * reject rather than truncate.
 */
public class TextTooLongException extends RuntimeException {

	private final int index;

	private final int maxTokens;

	public TextTooLongException(int index, int maxTokens) {
		super("Text #" + index + " is longer than the model's window of " + maxTokens
				+ " tokens (max-tokens, overflow=reject)");
		this.index = index;
		this.maxTokens = maxTokens;
	}

	public int index() {
		return this.index;
	}

	public int maxTokens() {
		return this.maxTokens;
	}

}
