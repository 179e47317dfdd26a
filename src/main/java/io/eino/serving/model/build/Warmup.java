package io.eino.serving.model.build;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import io.eino.serving.batching.BatchCostModel;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.runtime.RunnerPool;
import io.eino.serving.runtime.TokenSequence;

/**
 * The warm-up step of a build: every batch shape the version will run, once on every
 * runner, and the batch cost model fitted to the timings (admission predicts waits with
 * it; docs/traffic.md, "Admission").
 *
 * @param shapes the shapes run, e.g. {@code [1, 32]}
 * @param costModel run time against padded tokens
 */
record Warmup(List<String> shapes, BatchCostModel costModel) {

	/** Warm-up batches hold at most this many padded tokens (and at least one row). */
	static final int TOKENS = 1024;

	/**
	 * Runs every allowed length at one row and at the largest batch of at most
	 * {@value #TOKENS} tokens on every runner, and fits the batch cost model to the
	 * second, warm timing of each shape on the first runner.
	 */
	static Warmup run(RunnerPool runners, BatchingOptions options) {
		List<String> shapes = new ArrayList<>();
		List<double[]> samples = new ArrayList<>();
		for (int length : options.allowedLengths()) {
			int largest = Math.max(1, Math.min(options.maxBatchSize(), TOKENS / length));
			for (int rows : (largest > 1) ? List.of(1, largest) : List.of(1)) {
				List<TokenSequence> batch = Collections.nCopies(rows, syntheticSequence(length));
				for (int runner = 0; runner < runners.size(); runner++) {
					runners.runDirect(runner, batch, length);
				}
				long started = System.nanoTime();
				runners.runDirect(0, batch, length);
				samples.add(new double[] { (double) rows * length, System.nanoTime() - started });
				shapes.add("[" + rows + ", " + length + "]");
			}
		}
		return new Warmup(List.copyOf(shapes), fit(samples));
	}

	/** A sequence of {@code length} real tokens (id 1000, in every BERT vocabulary). */
	private static TokenSequence syntheticSequence(int length) {
		long[] ids = new long[length];
		long[] mask = new long[length];
		Arrays.fill(ids, 1000);
		Arrays.fill(mask, 1);
		return new TokenSequence(ids, mask, new long[length], false);
	}

	/** Least squares of time against padded tokens, clamped to non-negative costs. */
	static BatchCostModel fit(List<double[]> samples) {
		double n = samples.size();
		double sumX = 0;
		double sumY = 0;
		double sumXX = 0;
		double sumXY = 0;
		for (double[] sample : samples) {
			sumX += sample[0];
			sumY += sample[1];
			sumXX += sample[0] * sample[0];
			sumXY += sample[0] * sample[1];
		}
		double denominator = n * sumXX - sumX * sumX;
		if (n < 2 || denominator == 0) {
			return BatchCostModel.DEFAULT;
		}
		double slope = Math.max(0, (n * sumXY - sumX * sumY) / denominator);
		double intercept = Math.max(0, (sumY - slope * sumX) / n);
		return new BatchCostModel(intercept, slope);
	}

}
