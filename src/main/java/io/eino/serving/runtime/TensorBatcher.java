package io.eino.serving.runtime;

import java.util.Arrays;
import java.util.List;

/**
 * Turns the rows of one batch into the model's padded {@code [rows, length]} token
 * tensors and splits its output back into rows. Knows nothing about queues or scheduling
 * (TensorFlow Serving's batching-session half of the split).
 */
public final class TensorBatcher {

	private TensorBatcher() {
	}

	/**
	 * Writes {@code rows} padded to {@code length} into the three row-major arrays (at
	 * least {@code rows.size() × length} long): ids and type ids 0 after each row's end,
	 * mask 0 there too, so padding is never attended to.
	 */
	public static void pad(List<TokenSequence> rows, int length, long[] ids, long[] mask, long[] typeIds) {
		for (int row = 0; row < rows.size(); row++) {
			TokenSequence sequence = rows.get(row);
			if (sequence.length() > length) {
				throw new IllegalArgumentException(
						"Row " + row + " has " + sequence.length() + " tokens, more than the padded length " + length);
			}
			int start = row * length;
			int end = start + length;
			System.arraycopy(sequence.ids(), 0, ids, start, sequence.length());
			System.arraycopy(sequence.attentionMask(), 0, mask, start, sequence.length());
			System.arraycopy(sequence.typeIds(), 0, typeIds, start, sequence.length());
			Arrays.fill(ids, start + sequence.length(), end, 0);
			Arrays.fill(mask, start + sequence.length(), end, 0);
			Arrays.fill(typeIds, start + sequence.length(), end, 0);
		}
	}

	/** Row {@code row} of a row-major {@code [rows, width]} output. */
	public static float[] row(float[] output, int width, int row) {
		return Arrays.copyOfRange(output, row * width, (row + 1) * width);
	}

}
