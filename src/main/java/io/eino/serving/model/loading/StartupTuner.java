package io.eino.serving.model.loading;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.CpuFeatures;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The startup step on this CPU ({@link StartupOptimizer}), and the short way for a
 * version whose structure another version's plan was chosen for: a new version of a model
 * with other weights (a retrained head, a fine-tuned encoder) runs as fast as its sibling
 * with the same graph rewrites and precision, so timing every candidate again would only
 * repeat the sibling's decision. What its weights can change is checked instead: the
 * decision is served only when this version's outputs pass the same gate the step applies
 * (labels and output difference against its own graph as imported, on its own evaluation
 * texts), int8 calibrated on its own activations. When they do not, the next candidate
 * the sibling's timings found fast enough is checked, fastest first, and the graph as
 * imported serves when none passes: what the step would decide on the same timings, which
 * follow the structure. So a new version with other weights is never timed again, and
 * never takes from serving the minute of CPU the step's timings take.
 *
 * <p>
 * The CPU's features are read at the first build, on the repository's thread: reading
 * them loads TensorFlow's native library (about 3 s), which the rest of the server's
 * start should not wait for.
 */
final class StartupTuner implements StartupPlans.Tuner {

	private static final Logger logger = LoggerFactory.getLogger(StartupTuner.class);

	private final GraphOptimization level;

	private final Precision precision;

	StartupTuner(GraphOptimization level, Precision precision) {
		this.level = level;
		this.precision = precision;
	}

	@Override
	public StartupOptimizer.Choice choose(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor,
			TextTokenizer tokenizer, SessionSettings base) {
		return new StartupOptimizer(this.level, this.precision, CpuFeatures.bfloat16(), CpuFeatures.int8())
			.choose(versionDirectory, modelDirectory, descriptor, tokenizer, base);
	}

	@Override
	public StartupOptimizer.Choice adopt(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor,
			TextTokenizer tokenizer, SessionSettings base, StartupPlans.Plan sibling) {
		SessionSettings imported = base.withOptimization(GraphOptimization.NONE, false);
		String taken = "; decided for a version with the same structure (timed "
				+ ((sibling.stepsMeasured() != null) ? sibling.stepsMeasured() : sibling.created()) + ")";
		if (sibling.settings(base).equals(imported)) {
			return new StartupOptimizer.Choice(imported, sibling.steps(), sibling.precision(), sibling.reason() + taken,
					sibling.costModel(), sibling.stepsMeasured());
		}
		Path evaluation = OutputComparison.evaluationFile(versionDirectory, modelDirectory, descriptor);
		List<Candidate> ladder = ladder(sibling, base,
				Candidate.offered(this.level, this.precision, CpuFeatures.bfloat16(), CpuFeatures.int8(), base),
				evaluation != null);
		if (ladder.isEmpty()) {
			return null;
		}
		if (evaluation == null && !sibling.precision().equals("fp32")) {
			taken += "; reduced precision not tried: the version has no evaluation texts to check it on";
		}
		try (SessionMeasurements measurements = new SessionMeasurements(versionDirectory, descriptor, tokenizer,
				imported, evaluation)) {
			return decide(imported, sibling, ladder, measurements, taken);
		}
	}

	/**
	 * What {@code sibling}'s timings offer this version, in the order they are checked:
	 * the candidate the sibling serves, with its plan's settings, then every other one
	 * its timings found fast enough ({@link OptimizationReport.Step#faster}), fastest
	 * first; reduced precisions only where this version has evaluation texts to check
	 * them on.
	 */
	static List<Candidate> ladder(StartupPlans.Plan sibling, SessionSettings base, List<Candidate> candidates,
			boolean reduced) {
		Map<String, Candidate> offered = new LinkedHashMap<>();
		candidates.forEach((candidate) -> offered.put(candidate.name(), candidate));
		String served = served(sibling);
		List<Candidate> ladder = new ArrayList<>();
		ladder.add(new Candidate(served, sibling.settings(base), sibling.precision(), ""));
		sibling.steps()
			.stream()
			.filter((step) -> step.faster() && !step.name().equals(served) && offered.containsKey(step.name()))
			.sorted(Comparator.comparingDouble(OptimizationReport.Step::speedup).reversed())
			.forEach((step) -> ladder.add(offered.get(step.name())));
		ladder.removeIf((candidate) -> candidate.reduced() && !reduced);
		return ladder;
	}

	/**
	 * The decision {@code sibling}'s timings give for this version: the first candidate
	 * of {@code ladder} whose outputs pass the step's gate here, or the graph as imported
	 * when none does. That is what the step would serve if it timed this version: its
	 * timings follow the structure, which the two share; only the outputs follow the
	 * weights.
	 */
	static StartupOptimizer.Choice decide(SessionSettings imported, StartupPlans.Plan sibling, List<Candidate> ladder,
			StartupMeasurements measurements, String taken) {
		// What each check found, in the order checked: every one before the served one
		// failed.
		Map<String, String> found = new LinkedHashMap<>();
		for (Candidate candidate : ladder) {
			Candidate checked = measurements.calibrated(candidate);
			String failure = measurements.open(checked);
			if (failure != null) {
				logger.info("{} cannot run here: {}", checked.name(), failure);
				found.put(checked.name(), "not served: cannot run: " + failure);
				continue;
			}
			OutputComparison.Agreement agreement = measurements.compare(checked);
			String gate = StartupOptimizer.gate(checked, agreement);
			measurements.release(checked);
			if (gate != null) {
				logger.info("{} on this version: {}: {}", checked.name(), gate, agreement.describe());
				found.put(checked.name(), "not served: " + gate + ": " + agreement.describe());
				continue;
			}
			String failedHere = failedHere(found);
			found.put(checked.name(), "served: " + agreement.describe());
			List<OptimizationReport.Step> steps = on(sibling, checked.name(), found);
			if (checked.name().equals(served(sibling))) {
				return new StartupOptimizer.Choice(checked.settings(), steps, sibling.precision(),
						sibling.reason() + taken + "; checked on this version: " + agreement.describe(),
						sibling.costModel(), sibling.stepsMeasured());
			}
			double speedup = steps.stream()
				.filter((step) -> step.name().equals(checked.name()))
				.findFirst()
				.map(OptimizationReport.Step::speedup)
				.orElse(Double.NaN);
			return new StartupOptimizer.Choice(checked.settings(), steps, checked.precision(),
					String.format(Locale.ROOT,
							"%s served, %.2f× faster than the graph as imported%s%s; checked on this version: %s",
							checked.name(), speedup, taken, failedHere, agreement.describe()),
					null, sibling.stepsMeasured());
		}
		return new StartupOptimizer.Choice(imported, on(sibling, StartupOptimizer.BASELINE, found), "fp32",
				"fp32 as imported: no candidate its timings found faster passed its check here" + taken
						+ failedHere(found),
				null, sibling.stepsMeasured());
	}

	/** For a reason: the candidates checked here, all of which failed; or empty. */
	private static String failedHere(Map<String, String> found) {
		return found.isEmpty() ? "" : "; " + String.join(", ", found.keySet()) + " failed here";
	}

	/** The sibling's steps as they serve this version, with what its checks found. */
	private static List<OptimizationReport.Step> on(StartupPlans.Plan sibling, String served,
			Map<String, String> found) {
		return sibling.steps()
			.stream()
			.map((step) -> step.on(step.name().equals(served), found.get(step.name())))
			.toList();
	}

	/** The name of the step the sibling's plan serves. */
	private static String served(StartupPlans.Plan sibling) {
		return sibling.steps()
			.stream()
			.filter(OptimizationReport.Step::applied)
			.map(OptimizationReport.Step::name)
			.findFirst()
			.orElse(sibling.precision());
	}

}
