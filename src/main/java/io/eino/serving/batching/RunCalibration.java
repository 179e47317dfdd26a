package io.eino.serving.batching;

/**
 * How fast the runners really ran compared with the cost model's prediction: an
 * exponential moving average of measured over predicted run time of recent batches,
 * bounded so that one odd batch cannot make admission refuse or admit everything.
 */
final class RunCalibration {

	/** Bounds of the correction of the cost model by measured runs. */
	private static final double MIN = 0.25;

	private static final double MAX = 4;

	/** Weight of the latest run in the correction. */
	private static final double WEIGHT = 0.2;

	/** Guarded by this. */
	private double value = 1;

	synchronized void add(double ratio) {
		double next = (1 - WEIGHT) * this.value + WEIGHT * ratio;
		this.value = Math.max(MIN, Math.min(MAX, next));
	}

	/** Measured over predicted run time (1 until a batch ran). */
	synchronized double value() {
		return this.value;
	}

}
