package io.eino.serving.runtime;

/**
 * One text's tokens, unpadded: what a batch row is made from.
 *
 * @param ids token ids, special tokens included
 * @param attentionMask 1 for each real token
 * @param typeIds segment ids
 * @param truncated whether the text was cut to fit the model's window
 */
public record TokenSequence(long[] ids, long[] attentionMask, long[] typeIds, boolean truncated) {

	public TokenSequence {
		if (ids.length == 0 || attentionMask.length != ids.length || typeIds.length != ids.length) {
			throw new IllegalArgumentException("A token sequence needs ids, mask and type ids of one non-zero length");
		}
	}

	public int length() {
		return this.ids.length;
	}

}
