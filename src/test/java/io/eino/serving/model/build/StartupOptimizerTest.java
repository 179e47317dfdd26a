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
 * The startup step on the default model, every candidate on (as it runs by default on a
 * CPU with bf16 and VNNI), on real sessions: each candidate is timed against the graph as
 * imported and reported with its spread, and what serves follows the report. Which
 * candidate wins depends on the CPU and the minute; the decisions themselves are tested
 * on fed timings in {@link StartupDecisionTest}.
 */
class StartupOptimizerTest {

	@Test
	void everyCandidateIsTimedAgainstTheGraphAsImportedAndTheChoiceFollows() throws Exception {
		Path model = TestModels.repository().resolve(DefaultModel.NAME);
		Path version = model.resolve(Long.toString(DefaultModel.VERSION));
		ModelDescriptor descriptor = DefaultModel.descriptor();
		SessionSettings base = new SessionSettings(2, 2, GraphOptimization.DEFAULT, false, SessionSettings.Gpu.DEFAULT,
				false);
		StartupOptimizer.Choice choice;
		try (TextTokenizer tokenizer = TextTokenizer.load(version.resolve(descriptor.tokenizer()),
				descriptor.maxTokens(), descriptor.overflow())) {
			choice = new StartupOptimizer(GraphOptimization.DEFAULT, Precision.AUTO, true, true).choose(version, model,
					descriptor, tokenizer, base);
		}
		choice.steps().forEach((step) -> System.out.println(step.name() + ": " + step.note()));
		assertThat(choice.steps()).extracting(OptimizationReport.Step::name)
			.containsExactly(StartupOptimizer.BASELINE, "grappler", "grappler without remapper", "bf16",
					"bf16 without constant folding", "int8");
		assertThat(choice.steps().get(0).note()).contains("noise margin");
		List<OptimizationReport.Step> applied = choice.steps()
			.stream()
			.filter(OptimizationReport.Step::applied)
			.toList();
		assertThat(applied).hasSize(1);
		OptimizationReport.Step served = applied.get(0);
		for (OptimizationReport.Step candidate : choice.steps().subList(1, choice.steps().size())) {
			assertThat(candidate.note())
				.containsPattern("speed-up \\d\\.\\d\\d× \\(\\d\\.\\d\\d–\\d\\.\\d\\d× in [37] rounds");
			assertThat(candidate.profile() != null || candidate.note().contains("in 3 rounds")).isTrue();
		}
		if (served.name().equals(StartupOptimizer.BASELINE)) {
			assertThat(choice.settings().optimization()).isEqualTo(GraphOptimization.NONE);
			assertThat(choice.precision()).isEqualTo("fp32");
			return;
		}
		// What serves was faster than the graph as imported by the margin, and passed.
		assertThat(served.speedup()).isGreaterThan(1 + SpeedComparison.MIN_MARGIN);
		assertThat(served.note()).contains("served: labels agree on", "of 212 texts");
		assertThat(choice.precision()).isEqualTo(served.name().split(" ")[0].replace("grappler", "fp32"));
		assertThat(choice.settings().bfloat16()).isEqualTo(choice.precision().equals("bf16"));
		assertThat(choice.settings().int8()).isEqualTo(choice.precision().equals("int8"));
	}

}
