package io.eino.serving.model.build;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.GraphOptimization;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.ModelRuntimeException;
import io.eino.serving.runtime.OpProfile;
import io.eino.serving.runtime.Precision;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The startup ("compile-time") optimisation step of one model version, run before it
 * takes traffic: measures the reference batch with no graph optimisation, with Grappler's
 * rewrites, with XLA JIT (level {@code full}) and with bfloat16 (precision {@code auto},
 * on CPUs that have it), and chooses the session settings serving uses.
 *
 * <p>
 * Grappler's rewrites are kept only if the rewritten graph's outputs match the graph as
 * imported on the evaluation texts (or the reference text): the same labels, no output
 * further than {@value #MAX_REWRITE_DIFFERENCE}. A rewrite that changes the function
 * (TensorFlow 2.18's remapper, for one, can fuse a LayerNorm with the wrong epsilon) then
 * runs the graph as imported.
 *
 * <p>
 * Reduced precision (bfloat16 through oneDNN's rewrite, int8 weight products through
 * {@code Int8Rewrite}) is measured where the CPU has it. A precision is kept only if, on
 * the model's evaluation texts, its labels agree with float32's on at least
 * {@value #MIN_LABEL_AGREEMENT} of them, no output differs by more than
 * {@value #MAX_OUTPUT_DIFFERENCE}, it gets at least as many of the labelled texts right,
 * and it is at least {@value #MIN_SPEEDUP}× faster on the reference batch; of those that
 * pass, the fastest serves. Otherwise float32 stays, and the report says why, with each
 * precision's agreement and speed-up.
 */
final class StartupOptimizer {

	private static final Logger logger = LoggerFactory.getLogger(StartupOptimizer.class);

	static final double MIN_LABEL_AGREEMENT = 0.995;

	static final double MAX_OUTPUT_DIFFERENCE = 0.02;

	/** Reduced precision must pay at least this much on the reference batch. */
	static final double MIN_SPEEDUP = 1.2;

	/**
	 * The largest change of a served output a graph rewrite may make: far above the
	 * reassociation of fused fp32 kernels (about 1e-6), far below a rewrite that changes
	 * the function.
	 */
	static final double MAX_REWRITE_DIFFERENCE = 1e-3;

	private static final String REFERENCE_TEXT = "The service answered every question quickly, "
			+ "and the staff were friendly, but the room was far too small for the price we paid.";

	private static final int REFERENCE_ROWS = 8;

	private static final int TIMED_RUNS = 7;

	private final GraphOptimization level;

	private final Precision precision;

	private final boolean bfloat16Hardware;

	private final boolean int8Hardware;

	StartupOptimizer(GraphOptimization level, Precision precision, boolean bfloat16Hardware, boolean int8Hardware) {
		this.level = level;
		this.precision = precision;
		this.bfloat16Hardware = bfloat16Hardware;
		this.int8Hardware = int8Hardware;
	}

	/**
	 * The chosen settings and the report of how they were chosen.
	 *
	 * @param settings what serving sessions use
	 * @param steps the measured steps
	 * @param precision fp32, bf16 or int8
	 * @param precisionReason why
	 */
	record Choice(SessionSettings settings, List<OptimizationReport.Step> steps, String precision,
			String precisionReason) {
	}

	Choice choose(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor, TextTokenizer tokenizer,
			SessionSettings base) {
		List<OptimizationReport.Step> steps = new ArrayList<>();
		SessionSettings chosen = base.withOptimization(this.level, false);
		if (this.level == GraphOptimization.NONE && this.precision == Precision.FP32) {
			return new Choice(chosen, steps, "fp32", "precision fp32 configured");
		}
		Map<String, HostTensor> reference = tokenizer.encode(Collections.nCopies(REFERENCE_ROWS, REFERENCE_TEXT))
			.asInputs();
		try (MeasuredSessions sessions = new MeasuredSessions(versionDirectory, descriptor, tokenizer,
				parityTexts(versionDirectory, modelDirectory, descriptor))) {
			return choose(sessions, versionDirectory, modelDirectory, base, reference, steps);
		}
	}

	private Choice choose(MeasuredSessions sessions, Path versionDirectory, Path modelDirectory, SessionSettings base,
			Map<String, HostTensor> reference, List<OptimizationReport.Step> steps) {
		ModelDescriptor descriptor = sessions.descriptor();
		SessionSettings chosen = base.withOptimization(this.level, false);
		SessionSettings imported = base.withOptimization(GraphOptimization.NONE, false);
		SessionSettings rewritten = base.withOptimization(GraphOptimization.DEFAULT, false);
		List<Timing> graphs = times((this.level == GraphOptimization.NONE) ? List.of(sessions.get(imported))
				: List.of(sessions.get(imported), sessions.get(rewritten)), descriptor, reference);
		Timing baseline = graphs.get(0);
		steps.add(new OptimizationReport.Step("no graph optimisation (baseline)", this.level == GraphOptimization.NONE,
				baseline.millis(), 1.0, "the graph as imported", baseline.profile()));
		double previous = baseline.millis();
		if (this.level != GraphOptimization.NONE) {
			Timing grappler = graphs.get(1);
			OutputComparison.Agreement parity = OutputComparison.compare(sessions.outputs(imported),
					sessions.outputs(rewritten), descriptor, Collections.nCopies(sessions.texts().size(), null));
			sessions.release(imported);
			boolean faithful = parity.labelAgreement() == 1.0 && parity.maxDifference() <= MAX_REWRITE_DIFFERENCE;
			String frozen = sessions.get(rewritten).rewrites();
			steps.add(new OptimizationReport.Step("grappler", faithful, grappler.millis(), previous / grappler
				.millis(), (frozen.isEmpty() ? "" : frozen + "; then ")
						+ "constant folding, arithmetic, remapper fusions, layout, shape, dependency, common subgraphs; "
						+ (faithful ? "parity with the graph as imported: " : "left out, it changes the outputs: ")
						+ parity.describe(),
					grappler.profile()));
			if (!faithful) {
				String reason = "fp32 kept: Grappler's rewrites failed the parity check, so the graph runs as imported";
				logger.warn("{}: {}", reason, parity.describe());
				return new Choice(imported, steps, "fp32", reason);
			}
			previous = grappler.millis();
		}
		if (this.level == GraphOptimization.FULL) {
			Timing xla = times(List.of(sessions.get(chosen)), descriptor, reference).get(0);
			steps.add(new OptimizationReport.Step("xla-jit", true, xla.millis(), previous / xla.millis(),
					"XLA compiles each new input shape once; warm-up covers the bucket shapes", xla.profile()));
		}
		if (this.precision == Precision.FP32) {
			return new Choice(chosen, steps, "fp32", "precision fp32 configured");
		}
		Path evaluation = OutputComparison.evaluationFile(versionDirectory, modelDirectory, descriptor);
		if (this.level == GraphOptimization.NONE || evaluation == null) {
			String refusal = (this.level == GraphOptimization.NONE)
					? "fp32 kept: reduced precision rewrites a graph and graph optimisation is off"
					: "fp32 kept: the model has no evaluation texts to check reduced precision against";
			steps.add(new OptimizationReport.Step("bf16", false, Double.NaN, Double.NaN, refusal));
			return new Choice(chosen, steps, "fp32", refusal);
		}
		List<String> labels = OutputComparison.evaluationLabels(evaluation);
		Choice best = new Choice(chosen, steps, "fp32", "fp32 kept: no reduced precision passed");
		double bestSpeedup = 1;
		List<String> outcomes = new ArrayList<>();
		for (String candidate : List.of("bf16", "int8")) {
			boolean hardware = candidate.equals("bf16") ? this.bfloat16Hardware : this.int8Hardware;
			if (!hardware) {
				String refusal = candidate + " not tried: this CPU has no "
						+ (candidate.equals("bf16") ? "AVX512-BF16 or AMX" : "AVX512-VNNI, AVX-VNNI or AMX");
				steps.add(new OptimizationReport.Step(candidate, false, Double.NaN, Double.NaN, refusal));
				outcomes.add(refusal);
				continue;
			}
			SessionSettings settings = candidate.equals("bf16") ? base.withOptimization(this.level, true)
					: chosen.withInt8();
			OutputComparison.Agreement agreement;
			List<Timing> pair;
			try {
				agreement = OutputComparison.compare(sessions.outputs(chosen), sessions.outputs(settings), descriptor,
						labels);
				pair = times(List.of(sessions.get(chosen), sessions.get(settings)), descriptor, reference);
			}
			catch (ModelRuntimeException ex) {
				String refusal = candidate + " not tried: " + ex.getMessage();
				steps.add(new OptimizationReport.Step(candidate, false, Double.NaN, Double.NaN, refusal));
				outcomes.add(refusal);
				continue;
			}
			finally {
				sessions.release(settings);
			}
			Timing timing = pair.get(1);
			double speedup = pair.get(0).millis() / timing.millis();
			boolean accurate = agreement.labelAgreement() >= MIN_LABEL_AGREEMENT
					&& agreement.maxDifference() <= MAX_OUTPUT_DIFFERENCE && agreement.asAccurate();
			boolean passes = accurate && speedup >= MIN_SPEEDUP;
			String measured = String.format(Locale.ROOT, "%s: %s, speed-up %.2f×", candidate, agreement.describe(),
					speedup);
			String verdict = passes ? "passes"
					: accurate ? "not at least " + MIN_SPEEDUP + "× faster" : "fails the accuracy gate";
			outcomes.add(measured + " (" + verdict + ")");
			boolean kept = passes && speedup > bestSpeedup;
			steps.add(new OptimizationReport.Step(candidate, kept, timing.millis(), speedup,
					measured + " (" + verdict + ")", timing.profile()));
			if (kept) {
				if (!best.precision().equals("fp32")) {
					OptimizationReport.Step earlier = steps.get(steps.size() - 2);
					steps.set(steps.size() - 2, new OptimizationReport.Step(earlier.name(), false, earlier.millis(),
							earlier.speedup(), earlier.note() + "; slower than " + candidate, earlier.profile()));
				}
				best = new Choice(settings, steps, candidate, candidate + " kept");
				bestSpeedup = speedup;
			}
		}
		String reason = (best.precision().equals("fp32") ? "fp32 kept" : best.precision() + " kept") + ": "
				+ String.join("; ", outcomes);
		return new Choice(best.settings(), steps, best.precision(), reason);
	}

	/** The evaluation texts, or the reference text when the model has none. */
	private static List<String> parityTexts(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor) {
		Path evaluation = OutputComparison.evaluationFile(versionDirectory, modelDirectory, descriptor);
		return (evaluation != null) ? OutputComparison.evaluationTexts(evaluation) : List.of(REFERENCE_TEXT);
	}

	/**
	 * The reference batch's median run time with {@code settings}, and one step trace of
	 * it by op type.
	 *
	 * @param millis the median of the timed runs
	 * @param profile where one more run spent its time
	 */
	private record Timing(double millis, OpProfile profile) {
	}

	/**
	 * The reference batch timed under each of {@code settings}, in interleaved rounds
	 * (one run of each per round), so that the machine's swings of speed hit all of them
	 * alike.
	 */
	private static List<Timing> times(List<SavedModelRunner> runners, ModelDescriptor descriptor,
			Map<String, HostTensor> inputs) {
		for (SavedModelRunner runner : runners) {
			OutputComparison.output(runner, descriptor, inputs);
		}
		double[][] millis = new double[runners.size()][TIMED_RUNS];
		for (int round = 0; round < TIMED_RUNS; round++) {
			for (int i = 0; i < runners.size(); i++) {
				long started = System.nanoTime();
				OutputComparison.output(runners.get(i), descriptor, inputs);
				millis[i][round] = (System.nanoTime() - started) / 1e6;
			}
		}
		List<Timing> timings = new ArrayList<>();
		for (int i = 0; i < runners.size(); i++) {
			Arrays.sort(millis[i]);
			OpProfile profile = runners.get(i).profile(descriptor.signature(), inputs, List.of(descriptor.output()));
			logger.debug("Reference batch, session {}: {} ms; most op time in {}", i, millis[i][TIMED_RUNS / 2],
					profile.top(5));
			timings.add(new Timing(millis[i][TIMED_RUNS / 2], profile));
		}
		return timings;
	}

}
