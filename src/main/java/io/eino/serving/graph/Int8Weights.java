package io.eino.serving.graph;

/**
 * One weight product's int8 form: the arithmetic of {@link Int8Rewrite}, kept apart from
 * the graph surgery so that it can be checked on its own. Hand-written: TensorFlow's
 * quantisation tools are Python-only.
 *
 * <p>
 * For a product {@code y = x · W + b} with {@code W} of {@code [K, N]}:
 * <ul>
 * <li><b>smoothing</b> divides input channel {@code k} by {@code s[k]} and multiplies row
 * {@code k} of {@code W} by it, which leaves {@code y} unchanged and moves the
 * activation's outlier channels into the weights, where each output channel has a scale
 * of its own: {@code s[k] = a[k]^α / w[k]^(1−α)}, {@code a[k]} the largest {@code |x|} of
 * the channel on the calibration texts, {@code w[k]} the largest {@code |W[k, ·]|};</li>
 * <li><b>lifting</b> adds a constant {@code c} to an input that is never below {@code −c}
 * (a GELU's output), so that it quantises to unsigned 8 bits without wasting the sign
 * bit; the bias gives it back: {@code b' = b − c · Σ_k W[k, ·]};</li>
 * <li><b>weights</b> are quantised per output channel: {@code Wq = round(127 · W' / m)},
 * {@code m[n] = max_k |W'[k, n]|}.</li>
 * </ul>
 *
 * @param quantised {@code Wq}, row-major {@code [K, N]}
 * @param scales {@code m}, one per output channel (1 where a column is all zeros)
 * @param bias {@code b'}, one per output channel
 */
record Int8Weights(byte[] quantised, float[] scales, float[] bias) {

	/** The migration strength α: measured on the default model, 0.5 to 1. */
	static final double SMOOTHING = 0.85;

	/**
	 * @param weights {@code W}, row-major {@code [rows, columns]}
	 * @param smoothing {@code s}, one per row, or null
	 * @param bias {@code b}, or null for none
	 * @param lift {@code c}, 0 for none
	 */
	static Int8Weights of(float[] weights, int rows, int columns, float[] smoothing, float[] bias, float lift) {
		float[] scales = new float[columns];
		float[] adjusted = (bias != null) ? bias.clone() : new float[columns];
		float[] smoothed = new float[weights.length];
		for (int i = 0; i < weights.length; i++) {
			int column = i % columns;
			adjusted[column] -= lift * weights[i];
			smoothed[i] = (smoothing != null) ? weights[i] * smoothing[i / columns] : weights[i];
			scales[column] = Math.max(scales[column], Math.abs(smoothed[i]));
		}
		for (int column = 0; column < columns; column++) {
			scales[column] = (scales[column] > 0) ? scales[column] : 1;
		}
		byte[] quantised = new byte[weights.length];
		for (int i = 0; i < weights.length; i++) {
			quantised[i] = (byte) Math.round(127 * smoothed[i] / scales[i % columns]);
		}
		return new Int8Weights(quantised, scales, adjusted);
	}

	/**
	 * The smoothing factors {@code s} of an input whose channels reached
	 * {@code activations} on the calibration texts, for the weights of every product that
	 * reads it (the three attention projections share one input, so one {@code s}).
	 * @param rowMaxima {@code w}, the largest {@code |W[k, ·]|} over those products
	 */
	static float[] smoothing(float[] activations, float[] rowMaxima) {
		float[] factors = new float[rowMaxima.length];
		for (int k = 0; k < factors.length; k++) {
			double factor = Math.pow(Math.max(activations[k], 1e-5), SMOOTHING)
					/ Math.pow(Math.max(rowMaxima[k], 1e-5), 1 - SMOOTHING);
			factors[k] = (factor > 0 && Double.isFinite(factor)) ? (float) factor : 1;
		}
		return factors;
	}

	/** The largest {@code |W[k, ·]|} of each row, folded into {@code into}. */
	static void rowMaxima(float[] weights, int columns, float[] into) {
		for (int i = 0; i < weights.length; i++) {
			into[i / columns] = Math.max(into[i / columns], Math.abs(weights[i]));
		}
	}

}
