package io.eino.serving.model.build;

import java.nio.file.Path;
import java.util.List;

import io.eino.serving.TestModels;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.GraphOptimization;
import io.eino.serving.runtime.Precision;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.TextTokenizer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The startup step on the default model, every step on (as it runs by default on a CPU
 * with bf16 and VNNI): the graph rewrites pass their parity check, and each reduced
 * precision is measured against fp32 on the evaluation set and kept only when it passes
 * the gate. Which precision wins depends on the CPU and the minute, so the test checks
 * that the choice follows the measurements it reports.
 */
class StartupOptimizerTest {

	@Test
	void everyStepIsMeasuredAndTheChoiceFollowsTheGate() throws Exception {
		Path model = TestModels.repository().resolve(DefaultModel.NAME);
		Path version = model.resolve(Long.toString(DefaultModel.VERSION));
		ModelDescriptor descriptor = DefaultModel.descriptor();
		StartupOptimizer.Choice choice;
		try (TextTokenizer tokenizer = TextTokenizer.load(version.resolve(descriptor.tokenizer()),
				descriptor.maxTokens(), descriptor.overflow())) {
			choice = new StartupOptimizer(GraphOptimization.DEFAULT, Precision.AUTO, true, true).choose(version, model,
					descriptor, tokenizer, SessionSettings.DEFAULT);
		}
		choice.steps().forEach((step) -> System.out.println(step.name() + ": " + step.note()));
		assertThat(choice.steps()).extracting(OptimizationReport.Step::name)
			.containsExactly("no graph optimisation (baseline)", "grappler", "bf16", "int8");
		OptimizationReport.Step grappler = choice.steps().get(1);
		assertThat(grappler.applied()).isTrue();
		assertThat(grappler.note()).contains("parity with the graph as imported: labels agree on 100.0 % of 212 texts");
		for (OptimizationReport.Step precision : choice.steps().subList(2, 4)) {
			assertThat(precision.note()).contains("labels agree on", "of 212 texts", "accuracy", "speed-up");
			assertThat(precision.applied()).isEqualTo(choice.precision().equals(precision.name()));
			if (precision.applied()) {
				assertThat(precision.note()).endsWith("(passes)");
				assertThat(precision.speedup()).isGreaterThanOrEqualTo(StartupOptimizer.MIN_SPEEDUP);
			}
		}
		List<String> kept = choice.steps()
			.subList(2, 4)
			.stream()
			.filter(OptimizationReport.Step::applied)
			.map(OptimizationReport.Step::name)
			.toList();
		assertThat(kept).hasSizeLessThanOrEqualTo(1);
		assertThat(choice.precision()).isEqualTo(kept.isEmpty() ? "fp32" : kept.get(0));
		assertThat(choice.settings().bfloat16()).isEqualTo(choice.precision().equals("bf16"));
		assertThat(choice.settings().int8()).isEqualTo(choice.precision().equals("int8"));
	}

}
