package io.eino.serving.model.loading;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.batching.BatchCostModel;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.OpProfile;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.TextTokenizer;

/**
 * The startup ("compile-time") optimisation step of one model version, run before it
 * takes traffic: times every candidate way of serving it (Grappler's rewrites with and
 * without the passes that can slow a graph down, XLA JIT at level {@code full}, bfloat16
 * and int8 weight products where the CPU has them) against the graph as imported, and
 * serves the fastest candidate that is faster by more than the noise and computes the
 * same function; when none is, the graph as imported serves.
 *
 * <p>
 * The timings are interleaved rounds over representative batches of the model's own texts
 * (one text, 8, 32 and the 8 longest), the graph as imported timed first and last in each
 * round; {@link SpeedComparison} turns them into speed-ups with their spread and the
 * margin the run's own noise justifies. A candidate slower than the graph as imported in
 * each of the first {@value #SCREENING_ROUNDS} rounds is dropped then; the rest are timed
 * {@value #ROUNDS} rounds in all.
 *
 * <p>
 * Only candidates that are faster are checked, fastest first, until one passes: a float32
 * rewrite must give the graph as imported's labels on every evaluation text (or the
 * reference text) and no output further than {@value #MAX_REWRITE_DIFFERENCE}; a reduced
 * precision must agree on the labels of at least {@value #MIN_LABEL_AGREEMENT} of the
 * texts (a text fp32 leaves undecided may change: {@link OutputComparison}), differ by no
 * more than {@value #MAX_OUTPUT_DIFFERENCE} ({@value #MAX_INT8_OUTPUT_DIFFERENCE} for
 * int8), get at least as many labelled texts right, and be at least
 * {@value #MIN_REDUCED_SPEEDUP}× faster. For an embedding model, the labels and the
 * output difference give way to the retrieval gate: cosine to fp32 at least
 * {@value #MIN_EMBEDDING_COSINE} for every text, and the ten nearest texts unchanged for
 * at least {@value #MIN_NEIGHBOUR_AGREEMENT} of them.
 */
final class StartupOptimizer {

	static final double MIN_LABEL_AGREEMENT = 0.995;

	/**
	 * An embedding model's reduced precision must keep every evaluation text's vector
	 * this close to fp32's (cosine similarity).
	 */
	static final double MIN_EMBEDDING_COSINE = 0.999;

	/**
	 * ... and the ten nearest other texts of this share of the texts unchanged (the
	 * evaluation texts as a retrieval set).
	 */
	static final double MIN_NEIGHBOUR_AGREEMENT = 0.99;

	static final double MAX_OUTPUT_DIFFERENCE = 0.02;

	/** int8 moves the default model's probabilities by up to 0.15 (bf16: 0.016). */
	static final double MAX_INT8_OUTPUT_DIFFERENCE = 0.25;

	/**
	 * What a reduced precision must pay at least, whatever the noise: it changes the
	 * outputs, within the gate.
	 */
	static final double MIN_REDUCED_SPEEDUP = 1.1;

	/**
	 * The largest change of a served output a float32 rewrite may make: far above the
	 * reassociation of fused fp32 kernels (about 1e-6), far below a rewrite that changes
	 * the function.
	 */
	static final double MAX_REWRITE_DIFFERENCE = 1e-3;

	static final int ROUNDS = 7;

	static final int SCREENING_ROUNDS = 3;

	static final String BASELINE = "graph as imported (baseline)";

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
	 * @param steps the measured steps, the baseline first
	 * @param precision fp32, bf16 or int8
	 * @param precisionReason why
	 * @param costModel the batch cost model measured with these settings before (a stored
	 * plan's), or null
	 * @param stepsMeasured where and when the steps were timed
	 * ({@link OptimizationReport#stepsMeasured})
	 */
	record Choice(SessionSettings settings, List<OptimizationReport.Step> steps, String precision,
			String precisionReason, BatchCostModel costModel, String stepsMeasured) {

		/** Steps timed by this start. */
		static final String THIS_START = "at this start";

		Choice(SessionSettings settings, List<OptimizationReport.Step> steps, String precision, String precisionReason,
				BatchCostModel costModel) {
			this(settings, steps, precision, precisionReason, costModel, THIS_START);
		}

		Choice(SessionSettings settings, List<OptimizationReport.Step> steps, String precision,
				String precisionReason) {
			this(settings, steps, precision, precisionReason, null);
		}

	}

	/** The candidates this configuration and CPU allow, the baseline not included. */
	List<Candidate> candidates(SessionSettings base) {
		return Candidate.offered(this.level, this.precision, this.bfloat16Hardware, this.int8Hardware, base);
	}

	Choice choose(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor, TextTokenizer tokenizer,
			SessionSettings base) {
		SessionSettings imported = base.withOptimization(GraphOptimization.NONE, false);
		Path evaluation = OutputComparison.evaluationFile(versionDirectory, modelDirectory, descriptor);
		List<Candidate> candidates = candidates(base);
		String unchecked = "";
		if (evaluation == null && candidates.removeIf(Candidate::reduced)) {
			unchecked = "; reduced precision not tried: the model has no evaluation texts to check it on";
		}
		if (candidates.isEmpty()) {
			return new Choice(imported, List.of(), "fp32", (this.precision == Precision.FP32)
					? "graph optimisation off and precision fp32 configured: the graph as imported serves"
					: "graph optimisation off, so no reduced precision (it rewrites the graph): the graph as imported serves");
		}
		try (SessionMeasurements measurements = new SessionMeasurements(versionDirectory, descriptor, tokenizer,
				imported, evaluation)) {
			Choice choice = choose(imported, measurements.calibrated(candidates), measurements);
			return new Choice(choice.settings(), choice.steps(), choice.precision(),
					choice.precisionReason() + unchecked);
		}
	}

	/** The decision, on whatever measures the sessions. */
	static Choice choose(SessionSettings imported, List<Candidate> candidates, StartupMeasurements measurements) {
		Map<Candidate, String> failed = measurements.openAll(candidates);
		List<Candidate> timed = new ArrayList<>(candidates);
		timed.removeAll(failed.keySet());
		List<double[]> rounds = new ArrayList<>();
		Map<Candidate, double[]> times = new LinkedHashMap<>();
		List<Candidate> racing = new ArrayList<>(timed);
		Map<Candidate, String> dropped = new LinkedHashMap<>();
		Map<Candidate, OpProfile> profiles = new LinkedHashMap<>();
		for (int round = 0; round < ROUNDS && (round < SCREENING_ROUNDS || !racing.isEmpty()); round++) {
			double[] measured = measurements.round(racing);
			rounds.add(new double[] { measured[0], measured[measured.length - 1] });
			for (int i = 0; i < racing.size(); i++) {
				times.computeIfAbsent(racing.get(i), (candidate) -> new double[ROUNDS])[round] = measured[i + 1];
			}
			if (round == SCREENING_ROUNDS - 1) {
				for (Candidate candidate : List.copyOf(racing)) {
					if (slowerInEveryRound(rounds, times.get(candidate))) {
						racing.remove(candidate);
						dropped.put(candidate, "slower than the graph as imported in each of the first "
								+ SCREENING_ROUNDS + " rounds");
						profiles.put(candidate, measurements.profile(candidate));
						measurements.release(candidate);
					}
				}
			}
		}
		double[] first = rounds.stream().mapToDouble((pair) -> pair[0]).toArray();
		double[] last = rounds.stream().mapToDouble((pair) -> pair[1]).toArray();
		double margin = SpeedComparison.margin(first, last);
		Map<Candidate, SpeedComparison> speeds = new LinkedHashMap<>();
		for (Candidate candidate : timed) {
			int n = dropped.containsKey(candidate) ? SCREENING_ROUNDS : rounds.size();
			double[] own = Arrays.copyOf(times.get(candidate), n);
			speeds.put(candidate, SpeedComparison.of(Arrays.copyOf(first, n), Arrays.copyOf(last, n), own, margin));
		}
		// Check the faster ones, fastest first, until one passes.
		Map<Candidate, String> verdicts = new LinkedHashMap<>();
		Candidate chosen = null;
		List<Candidate> bySpeed = timed.stream()
			.sorted(Comparator.comparingDouble((Candidate candidate) -> speeds.get(candidate).speedup()).reversed())
			.toList();
		for (Candidate candidate : bySpeed) {
			SpeedComparison speed = speeds.get(candidate);
			if (dropped.containsKey(candidate)) {
				verdicts.put(candidate, "not served: " + dropped.get(candidate));
			}
			else if (!speed.faster()) {
				verdicts.put(candidate, "not served: not faster than the graph as imported by the noise margin");
			}
			else if (!fastEnough(candidate, speed)) {
				verdicts.put(candidate,
						"not served: reduced precision must be at least " + MIN_REDUCED_SPEEDUP + "× faster");
			}
			else if (chosen != null) {
				verdicts.put(candidate, "faster, not checked: " + chosen.name() + " is faster and passed");
			}
			else {
				OutputComparison.Agreement agreement = measurements.compare(candidate);
				String gate = gate(candidate, agreement);
				if (gate == null) {
					chosen = candidate;
					verdicts.put(candidate, "served: " + agreement.describe());
				}
				else {
					verdicts.put(candidate, "not served: " + gate + ": " + agreement.describe());
				}
			}
		}
		List<OptimizationReport.Step> steps = new ArrayList<>();
		steps.add(new OptimizationReport.Step(BASELINE, chosen == null, SpeedComparison.median(first), 1.0,
				String.format(Locale.ROOT,
						"the graph as imported, timed first and last in each of %d rounds; their spread sets a "
								+ "noise margin of %.1f %%",
						rounds.size(), 100 * margin),
				measurements.profile(null), false));
		for (Candidate candidate : candidates) {
			if (failed.containsKey(candidate)) {
				steps.add(new OptimizationReport.Step(candidate.name(), false, Double.NaN, Double.NaN,
						candidate.what() + "; not tried: " + failed.get(candidate)));
				continue;
			}
			SpeedComparison speed = speeds.get(candidate);
			String rewrites = measurements.rewrites(candidate);
			double millis = SpeedComparison.median(Arrays.copyOf(times.get(candidate), speed.rounds()));
			steps.add(new OptimizationReport.Step(candidate.name(), candidate == chosen, millis, speed.speedup(),
					(rewrites.isEmpty() ? "" : rewrites + "; then ") + candidate.what() + "; speed-up "
							+ speed.describe() + "; " + verdicts.get(candidate),
					dropped.containsKey(candidate) ? profiles.get(candidate) : measurements.profile(candidate),
					!dropped.containsKey(candidate) && fastEnough(candidate, speed)));
		}
		for (Candidate candidate : timed) {
			if (candidate != chosen && !dropped.containsKey(candidate)) {
				measurements.release(candidate);
			}
		}
		if (chosen == null) {
			String reason = "fp32 as imported: no candidate was faster by the noise margin and passed its check";
			return new Choice(imported, steps, "fp32", reason);
		}
		return new Choice(chosen.settings(), steps, chosen.precision(),
				chosen.name() + " served, " + speeds.get(chosen).describe() + " faster than the graph as imported");
	}

	/** Faster than the noise margin, and a reduced precision by the least it must pay. */
	private static boolean fastEnough(Candidate candidate, SpeedComparison speed) {
		return speed.faster() && (!candidate.reduced() || speed.speedup() >= MIN_REDUCED_SPEEDUP);
	}

	/** Why the candidate's outputs are not good enough, or null when they are. */
	static String gate(Candidate candidate, OutputComparison.Agreement agreement) {
		if (!candidate.reduced()) {
			return (agreement.sameLabels() && agreement.maxDifference() <= MAX_REWRITE_DIFFERENCE) ? null
					: "it changes the outputs";
		}
		if (agreement.retrieval() != null) {
			boolean close = agreement.retrieval().minCosine() >= MIN_EMBEDDING_COSINE
					&& agreement.retrieval().neighbourAgreement() >= MIN_NEIGHBOUR_AGREEMENT;
			return close ? null : "fails the embedding gate";
		}
		double maxDifference = candidate.precision().equals("int8") ? MAX_INT8_OUTPUT_DIFFERENCE
				: MAX_OUTPUT_DIFFERENCE;
		boolean accurate = agreement.labelAgreement() >= MIN_LABEL_AGREEMENT
				&& agreement.maxDifference() <= maxDifference && agreement.asAccurate();
		return accurate ? null : "fails the accuracy gate";
	}

	private static boolean slowerInEveryRound(List<double[]> baseline, double[] candidate) {
		for (int round = 0; round < baseline.size(); round++) {
			if (candidate[round] <= Math.max(baseline.get(round)[0], baseline.get(round)[1])) {
				return false;
			}
		}
		return true;
	}

}
