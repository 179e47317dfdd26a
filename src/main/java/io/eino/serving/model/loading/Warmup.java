package io.eino.serving.model.loading;

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
 * @param costModel run time against padded and real tokens
 */
record Warmup(List<String> shapes, BatchCostModel costModel) {

	/** Warm-up batches hold at most this many padded tokens (and at least one row). */
	static final int TOKENS = 1024;

	/**
	 * Runs every allowed length at one row and at the largest batch of at most
	 * {@value #TOKENS} tokens on every runner, the largest batch once more with half its
	 * positions padding, and fits the batch cost model to the warm timing of each run on
	 * the first runner.
	 */
	static Warmup run(RunnerPool<TokenSequence, float[]> runners, BatchingOptions options) {
		return run(runners, options, null);
	}

	/**
	 * As {@link #run(RunnerPool, BatchingOptions)}, but with the cost model a stored
	 * startup plan measured for the same graph and settings ({@code known}, null for
	 * none): each shape then runs once per runner, untimed, for its kernels alone.
	 */
	static Warmup run(RunnerPool<TokenSequence, float[]> runners, BatchingOptions options, BatchCostModel known) {
		List<String> shapes = new ArrayList<>();
		List<double[]> samples = new ArrayList<>();
		for (int length : options.allowedLengths()) {
			int largest = Math.max(1, Math.min(options.maxBatchSize(), TOKENS / length));
			for (int rows : (largest > 1) ? List.of(1, largest) : List.of(1)) {
				samples.add(sample(runners, rows, length, length, known == null));
				shapes.add("[" + rows + ", " + length + "]");
			}
			if (largest > 1 && length > 1) {
				// Padding apart from real tokens: what packed tokens save.
				samples.add(sample(runners, largest, length, length / 2, known == null));
			}
		}
		return new Warmup(List.copyOf(shapes), (known != null) ? known : fit(samples));
	}

	/**
	 * Runs {@code rows} sequences of {@code real} tokens padded to {@code length} on
	 * every runner, then, when {@code timed}, once more on the first, timed: {padded,
	 * real, nanos} (null when not timed).
	 */
	private static double[] sample(RunnerPool<TokenSequence, float[]> runners, int rows, int length, int real,
			boolean timed) {
		List<TokenSequence> batch = Collections.nCopies(rows, syntheticSequence(real));
		for (int runner = 0; runner < runners.parallelism(); runner++) {
			runners.runDirect(runner, batch, length);
		}
		if (!timed) {
			return null;
		}
		long started = System.nanoTime();
		runners.runDirect(0, batch, length);
		return new double[] { (double) rows * length, (double) rows * real, System.nanoTime() - started };
	}

	/** A sequence of {@code length} real tokens (id 1000, in every BERT vocabulary). */
	private static TokenSequence syntheticSequence(int length) {
		long[] ids = new long[length];
		long[] mask = new long[length];
		Arrays.fill(ids, 1000);
		Arrays.fill(mask, 1);
		return new TokenSequence(ids, mask, new long[length], false);
	}

	/**
	 * Least squares of time against padded and real tokens ({padded, real, nanos} per
	 * sample), clamped to non-negative costs: a negative cost per real token (a graph
	 * that runs every position alike, where the two only differ by noise) is refitted
	 * against padded tokens alone.
	 */
	static BatchCostModel fit(List<double[]> samples) {
		double[] three = solve(samples, true);
		if (three != null && three[0] >= 0 && three[1] >= 0 && three[2] >= 0) {
			return new BatchCostModel(three[0], three[1], three[2]);
		}
		double[] two = solve(samples, false);
		if (two == null) {
			return BatchCostModel.DEFAULT;
		}
		double slope = Math.max(0, two[1]);
		double intercept = (two[1] >= 0) ? Math.max(0, two[0]) : Math.max(0, mean(samples, 2));
		return new BatchCostModel(intercept, slope, 0);
	}

	private static double mean(List<double[]> samples, int column) {
		return samples.stream().mapToDouble((sample) -> sample[column]).average().orElse(0);
	}

	/**
	 * The normal equations of {@code nanos = a + b·padded (+ c·real)}; null when they
	 * have no single solution (too few or collinear samples).
	 */
	private static double[] solve(List<double[]> samples, boolean withReal) {
		int k = withReal ? 3 : 2;
		if (samples.size() < k) {
			return null;
		}
		double[][] system = new double[k][k + 1];
		for (double[] sample : samples) {
			double[] x = withReal ? new double[] { 1, sample[0], sample[1] } : new double[] { 1, sample[0] };
			for (int i = 0; i < k; i++) {
				for (int j = 0; j < k; j++) {
					system[i][j] += x[i] * x[j];
				}
				system[i][k] += x[i] * sample[2];
			}
		}
		double[] scale = new double[k];
		for (int i = 0; i < k; i++) {
			scale[i] = Math.abs(system[i][i]);
		}
		// Gaussian elimination with partial pivoting, by hand: a 3 × 3 system, and no
		// linear-algebra library is on the service's classpath.
		for (int col = 0; col < k; col++) {
			int pivot = col;
			for (int row = col + 1; row < k; row++) {
				if (Math.abs(system[row][col]) > Math.abs(system[pivot][col])) {
					pivot = row;
				}
			}
			double[] swap = system[col];
			system[col] = system[pivot];
			system[pivot] = swap;
			if (!(Math.abs(system[col][col]) > 1e-9 * scale[col])) {
				return null;
			}
			for (int row = 0; row < k; row++) {
				if (row != col) {
					double factor = system[row][col] / system[col][col];
					for (int j = col; j <= k; j++) {
						system[row][j] -= factor * system[col][j];
					}
				}
			}
		}
		double[] solution = new double[k];
		for (int i = 0; i < k; i++) {
			solution[i] = system[i][k] / system[i][i];
		}
		return solution;
	}

}
