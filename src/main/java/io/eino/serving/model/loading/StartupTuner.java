package io.eino.serving.model.loading;

import java.nio.file.Path;
import java.util.List;

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
 * texts), int8 calibrated on its own activations. When they do not, the whole step runs.
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
		SessionSettings settings = sibling.settings(base);
		String taken = "; decided for a version with the same structure (timed "
				+ ((sibling.stepsMeasured() != null) ? sibling.stepsMeasured() : sibling.created()) + ")";
		if (settings.equals(imported)) {
			return new StartupOptimizer.Choice(imported, sibling.steps(), sibling.precision(), sibling.reason() + taken,
					sibling.costModel(), sibling.stepsMeasured());
		}
		Path evaluation = OutputComparison.evaluationFile(versionDirectory, modelDirectory, descriptor);
		Candidate candidate = new Candidate(served(sibling), settings, sibling.precision(), "");
		if (candidate.reduced() && evaluation == null) {
			return null;
		}
		try (SessionMeasurements measurements = new SessionMeasurements(versionDirectory, descriptor, tokenizer,
				imported, evaluation)) {
			// int8's smoothing and ranges follow the weights: measured on this version's.
			Candidate checked = measurements.calibrated(List.of(candidate)).get(0);
			String failure = measurements.open(checked);
			if (failure != null) {
				logger.info("{} cannot serve as its sibling does ({}): {}", versionDirectory, checked.name(), failure);
				return null;
			}
			OutputComparison.Agreement agreement = measurements.compare(checked);
			String gate = StartupOptimizer.gate(checked, agreement);
			if (gate != null) {
				logger.info("{} as its sibling serves ({}): {}: {}", versionDirectory, checked.name(), gate,
						agreement.describe());
				return null;
			}
			return new StartupOptimizer.Choice(checked.settings(), sibling.steps(), sibling.precision(),
					sibling.reason() + taken + "; checked on this version: " + agreement.describe(),
					sibling.costModel(), sibling.stepsMeasured());
		}
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
