package io.eino.serving.model;

import java.util.List;

import io.eino.serving.runtime.OpProfile;

/**
 * What the startup optimisation step did to one model version, for the metadata endpoint
 * and the log.
 *
 * @param steps each step measured, in order
 * @param precision the precision serving uses ({@code fp32}, {@code bf16} or
 * {@code int8})
 * @param precisionReason why that precision was chosen
 * @param warmupShapes the {@code [rows, length]} shapes run before the version took
 * traffic
 * @param overheadMillis measured fixed cost of one session run
 * @param microsPerToken measured cost per padded token
 * @param microsPerRealToken measured further cost per real token (packed tokens make it
 * most of the cost)
 * @param stepsMeasured where and when the steps were timed: {@code at this start}, at an
 * earlier start of this version whose plan is reused, or on another version with the same
 * structure whose decision this one took
 */
public record OptimizationReport(List<Step> steps, String precision, String precisionReason, List<String> warmupShapes,
		double overheadMillis, double microsPerToken, double microsPerRealToken, String stepsMeasured) {

	/**
	 * One measured step.
	 *
	 * @param name what the step is
	 * @param applied whether serving uses it
	 * @param millis median time of the reference batch with it (and the steps before)
	 * @param speedup time without it over time with it
	 * @param note what was checked or why it was left out
	 * @param profile where the reference batch's run spent its time with it, by op type
	 * (TensorFlow's step trace); null when the step did not run
	 * @param faster whether its timings let it serve: faster than the graph as imported
	 * by the noise margin (a reduced precision also by the least speed-up it must pay),
	 * whatever its outputs; what another version with the same structure may serve once
	 * its own outputs pass
	 */
	public record Step(String name, boolean applied, double millis, double speedup, String note, OpProfile profile,
			boolean faster) {

		/** A step that did not run, or that serves ({@code applied}: it was faster). */
		public Step(String name, boolean applied, double millis, double speedup, String note) {
			this(name, applied, millis, speedup, note, null, applied);
		}

		/** This step as served, or not, on another version, with what it found there. */
		public Step on(boolean applied, String found) {
			return new Step(this.name, applied, this.millis, this.speedup,
					(found != null) ? this.note + "; on this version: " + found : this.note, this.profile, this.faster);
		}

	}

}
