package io.eino.serving.batching;

/**
 * What running one batch costs, as the scheduler weighs it when deciding whether to pad
 * short tasks up to a longer batch (saving a run) or to run them apart (saving padding):
 * {@code overhead + perPaddedToken × rows × paddedLength}. Measured per model version at
 * warm-up; until then a guess.
 *
 * @param overheadNanos the fixed cost of one run, whatever its size
 * @param nanosPerPaddedToken the cost of each row × length position, padding included
 */
public record BatchCostModel(double overheadNanos, double nanosPerPaddedToken) {

	/** A neutral guess for a BERT-base-sized encoder on a few CPU cores. */
	public static final BatchCostModel DEFAULT = new BatchCostModel(2_000_000, 20_000);

	public BatchCostModel {
		if (!(overheadNanos >= 0) || !(nanosPerPaddedToken >= 0)) {
			throw new IllegalArgumentException(
					"Costs must be non-negative, got " + overheadNanos + " and " + nanosPerPaddedToken);
		}
	}

	/**
	 * Whether adding {@code extraTokens} padded positions costs less than one run saved.
	 */
	boolean paddingCheaperThanRun(long extraTokens) {
		return this.nanosPerPaddedToken * extraTokens < this.overheadNanos;
	}

}
