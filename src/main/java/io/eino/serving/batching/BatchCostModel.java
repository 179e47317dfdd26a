package io.eino.serving.batching;

/**
 * What running one batch costs, as the scheduler weighs it when deciding whether to pad
 * short tasks up to a longer batch (saving a run) or to run them apart (saving padding):
 * {@code overhead + perPaddedToken × rows × paddedLength + perToken × realTokens}.
 * Measured per model version at warm-up; until then a guess.
 *
 * <p>
 * A graph that runs every position of a batch (padding included) costs per padded token
 * only; a graph with packed tokens (docs/engine.md, "Graph rewrites", packed tokens) runs
 * its dense layers on the real tokens alone, so most of its cost is per real token and
 * padding costs only its attention.
 *
 * @param overheadNanos the fixed cost of one run, whatever its size
 * @param nanosPerPaddedToken the cost of each row × length position, padding included
 * @param nanosPerToken the further cost of each real token
 */
public record BatchCostModel(double overheadNanos, double nanosPerPaddedToken, double nanosPerToken) {

	/** A neutral guess for a BERT-base-sized encoder on a few CPU cores. */
	public static final BatchCostModel DEFAULT = new BatchCostModel(2_000_000, 20_000, 0);

	public BatchCostModel {
		if (!(overheadNanos >= 0) || !(nanosPerPaddedToken >= 0) || !(nanosPerToken >= 0)) {
			throw new IllegalArgumentException("Costs must be non-negative, got " + overheadNanos + ", "
					+ nanosPerPaddedToken + " and " + nanosPerToken);
		}
	}

	/** A model whose cost is per padded token only. */
	public BatchCostModel(double overheadNanos, double nanosPerPaddedToken) {
		this(overheadNanos, nanosPerPaddedToken, 0);
	}

	/** The predicted run time of {@code rows} rows padded to {@code paddedLength}. */
	public double nanos(long rows, int paddedLength, long realTokens) {
		return this.overheadNanos + this.nanosPerPaddedToken * rows * paddedLength + this.nanosPerToken * realTokens;
	}

	/**
	 * One task's share of a full batch of {@code maxBatchSize}: its padded positions, its
	 * real tokens and its part of the overhead.
	 */
	double taskNanos(int length, int paddedLength, int maxBatchSize) {
		return this.overheadNanos / maxBatchSize + this.nanosPerPaddedToken * paddedLength
				+ this.nanosPerToken * length;
	}

	/**
	 * Whether adding {@code extraTokens} padded positions costs less than one run saved.
	 */
	boolean paddingCheaperThanRun(long extraTokens) {
		return this.nanosPerPaddedToken * extraTokens < this.overheadNanos;
	}

}
