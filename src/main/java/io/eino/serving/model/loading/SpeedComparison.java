package io.eino.serving.model.loading;

import java.util.Arrays;
import java.util.Locale;

/**
 * How much faster one candidate graph is than the graph as imported, from paired,
 * interleaved timings, and whether that is more than the noise of the same run.
 *
 * <p>
 * Each round times the graph as imported, then every candidate, then the graph as
 * imported again, on the same representative batches. A candidate's speed-up in a round
 * is the mean of the round's two baseline times over its own; its speed-up is the median
 * over the rounds. The two baseline times of a round measure the same graph, so their
 * ratio is pure noise (an A/A comparison): its spread sets the margin a candidate must
 * clear. On a machine whose speed changes twofold from one minute to the next, a single
 * timing says nothing; paired rounds and a margin from the run's own noise keep a graph
 * that is not really faster from being served.
 *
 * @param speedup median over the rounds of the baseline's time over the candidate's
 * @param lowest the slowest round's speed-up
 * @param highest the fastest round's speed-up
 * @param margin the fraction the speed-up must exceed 1 by to count as faster
 * @param rounds how many rounds were timed
 */
record SpeedComparison(double speedup, double lowest, double highest, double margin, int rounds) {

	/**
	 * The smallest margin, whatever the measured noise: below a few percent a difference
	 * is not worth a changed graph, and a handful of rounds can underestimate the noise.
	 */
	static final double MIN_MARGIN = 0.03;

	/**
	 * Whether the candidate is faster than the graph as imported by more than the noise.
	 */
	boolean faster() {
		return this.speedup >= 1 + this.margin;
	}

	/** For example {@code 1.38× (1.31–1.45× in 7 rounds; margin 3.0 %)}. */
	String describe() {
		return String.format(Locale.ROOT, "%.2f× (%.2f–%.2f× in %d rounds; noise margin %.1f %%)", this.speedup,
				this.lowest, this.highest, this.rounds, 100 * this.margin);
	}

	/**
	 * The margin the noise of {@code first} and {@code second}, the two baseline timings
	 * of each round, justifies: two standard errors of a median of paired ratios, with
	 * the per-run noise estimated robustly (median absolute log ratio) from the A/A
	 * pairs.
	 */
	static double margin(double[] first, double[] second) {
		int rounds = first.length;
		double[] logRatios = new double[rounds];
		for (int round = 0; round < rounds; round++) {
			logRatios[round] = Math.abs(Math.log(first[round] / second[round]));
		}
		// |ln(a/b)| of two runs with log-noise σ each has median 0.6745·σ·√2.
		double perRun = median(logRatios) / (0.6745 * Math.sqrt(2));
		// A candidate's ratio pairs one run with the mean of two: σ·√1.5; the median
		// of n such ratios has a standard error of 1.2533·σ/√n.
		double ofMedian = 1.2533 * perRun * Math.sqrt(1.5) / Math.sqrt(rounds);
		return Math.max(MIN_MARGIN, Math.expm1(2 * ofMedian));
	}

	/**
	 * @param first the baseline's time in each round, timed first
	 * @param second the baseline's time in each round, timed last
	 * @param candidate the candidate's time in each round
	 * @param margin from {@link #margin}
	 */
	static SpeedComparison of(double[] first, double[] second, double[] candidate, double margin) {
		int rounds = candidate.length;
		double[] ratios = new double[rounds];
		for (int round = 0; round < rounds; round++) {
			ratios[round] = (first[round] + second[round]) / 2 / candidate[round];
		}
		double[] sorted = ratios.clone();
		Arrays.sort(sorted);
		return new SpeedComparison(median(ratios), sorted[0], sorted[rounds - 1], margin, rounds);
	}

	static double median(double[] values) {
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int middle = sorted.length / 2;
		return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	}

}
