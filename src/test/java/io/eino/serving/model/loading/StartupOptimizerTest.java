package io.eino.serving.model.loading;

import java.util.List;
import java.util.Map;

import io.eino.serving.api.ApiTests;
import io.eino.serving.api.DefaultServingContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The startup step as it ran for the service a user gets (every setting at its default,
 * on a CPU with bf16 and VNNI): the default model's metadata reports every candidate
 * timed against the graph as imported, with its spread, and exactly one way of serving
 * it, which follows the report. Which candidate wins depends on the CPU and the minute;
 * the decisions themselves are tested on fed timings in {@link StartupDecisionTest}. The
 * step ran once, when the shared context loaded the model (its plan, stored then, is what
 * later contexts with these settings reuse).
 */
class StartupOptimizerTest extends DefaultServingContext {

	@Autowired
	private WebTestClient client;

	@Test
	@SuppressWarnings("unchecked")
	void everyCandidateIsTimedAgainstTheGraphAsImportedAndTheChoiceFollows() {
		Map<String, Object> metadata = (Map<String, Object>) ApiTests
			.okJson(this.client.get().uri("/v1/models/sentiment/metadata").exchange())
			.get("metadata");
		Map<String, Object> runtime = (Map<String, Object>) ((Map<String, Object>) metadata.get("eino")).get("runtime");
		List<Map<String, Object>> steps = (List<Map<String, Object>>) runtime.get("optimization_steps");
		assertThat(steps).extracting((step) -> step.get("name"))
			.containsExactly(StartupOptimizer.BASELINE, "grappler", "grappler without remapper", "bf16",
					"bf16 without constant folding", "int8");
		assertThat((String) steps.get(0).get("note")).contains("noise margin");
		// This version's own start timed them: now, or when the plan it reuses was
		// stored.
		assertThat((String) runtime.get("optimization_steps_timed")).matches("at this start|at the start of 20.*");
		for (Map<String, Object> candidate : steps.subList(1, steps.size())) {
			assertThat((String) candidate.get("note"))
				.containsPattern("speed-up \\d\\.\\d\\d× \\(\\d\\.\\d\\d–\\d\\.\\d\\d× in [37] rounds");
			assertThat(((Number) candidate.get("batches_ms")).doubleValue()).isPositive();
			assertThat(candidate).containsKey("op_time");
		}
		List<Map<String, Object>> applied = steps.stream()
			.filter((step) -> Boolean.TRUE.equals(step.get("applied")))
			.toList();
		assertThat(applied).hasSize(1);
		Map<String, Object> served = applied.get(0);
		String precision = (String) runtime.get("precision");
		if (served.get("name").equals(StartupOptimizer.BASELINE)) {
			assertThat(precision).isEqualTo("fp32");
			return;
		}
		// What serves was faster than the graph as imported by the margin, and passed.
		assertThat(((Number) served.get("speedup")).doubleValue()).isGreaterThan(1 + SpeedComparison.MIN_MARGIN);
		assertThat((String) served.get("note")).contains("served: labels agree on", "of 212 texts");
		assertThat(precision).isEqualTo(((String) served.get("name")).split(" ")[0].replace("grappler", "fp32"));
		assertThat((String) runtime.get("precision_reason")).startsWith(served.get("name") + " served");
	}

	/**
	 * The bundled embedding model's step: every reduced precision that was checked was
	 * judged by the embedding gate (cosine and neighbours, not labels), and what serves
	 * passed it.
	 */
	@Test
	@SuppressWarnings("unchecked")
	void theEmbeddingModelsReducedPrecisionsAreJudgedByTheEmbeddingGate() {
		Map<String, Object> metadata = (Map<String, Object>) ApiTests
			.okJson(this.client.get().uri("/v1/models/" + EMBEDDINGS + "/metadata").exchange())
			.get("metadata");
		Map<String, Object> runtime = (Map<String, Object>) ((Map<String, Object>) metadata.get("eino")).get("runtime");
		List<Map<String, Object>> steps = (List<Map<String, Object>>) runtime.get("optimization_steps");
		assertThat(steps).extracting((step) -> step.get("name")).contains("bf16", "int8");
		int checked = 0;
		for (Map<String, Object> step : steps) {
			String note = (String) step.get("note");
			assertThat(note).doesNotContain("labels agree").doesNotContain("fails the accuracy gate");
			if (note.contains("fails the embedding gate") || note.contains("served: cosine")) {
				assertThat(note).containsPattern(
						"cosine to the reference at least \\d\\.\\d{5}, top-10 neighbours unchanged for [\\d.]+ % of 212 texts");
				checked++;
			}
		}
		// On this CPU bf16 and int8 are faster than fp32, so at least one is checked.
		assertThat(checked).as("reduced precisions judged by the embedding gate").isPositive();
		String precision = (String) runtime.get("precision");
		if (!precision.equals("fp32")) {
			Map<String, Object> served = steps.stream()
				.filter((step) -> Boolean.TRUE.equals(step.get("applied")))
				.findFirst()
				.orElseThrow();
			assertThat((String) served.get("note")).contains("served: cosine to the reference at least");
		}
	}

}
