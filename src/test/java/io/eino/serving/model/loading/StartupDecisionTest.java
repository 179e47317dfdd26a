package io.eino.serving.model.loading;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.batching.BatchCostModel;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.OpProfile;
import io.eino.serving.runtime.SessionSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The startup step's decisions on timings and output checks fed to it: what is served
 * follows only the measurements, and nothing that is not faster than the graph as
 * imported by the run's own noise is served, whatever its parity.
 */
class StartupDecisionTest {

	private static final SessionSettings BASE = new SessionSettings(2, 2, GraphOptimization.DEFAULT, false,
			SessionSettings.Gpu.DEFAULT, false);

	private static final SessionSettings IMPORTED = BASE.withOptimization(GraphOptimization.NONE, false);

	private static final OutputComparison.Agreement SAME = new OutputComparison.Agreement(1.0, 2e-6, 212, 0.929, 0.929);

	private static final OutputComparison.Agreement CHANGED = new OutputComparison.Agreement(0.97, 0.135, 212, 0.929,
			0.9);

	private static final OutputComparison.Agreement CLOSE = new OutputComparison.Agreement(1.0, 0.008, 212, 0.929,
			0.929);

	private final List<Candidate> candidates = new StartupOptimizer(GraphOptimization.DEFAULT, Precision.AUTO, true,
			true)
		.candidates(BASE);

	@Test
	void offersEveryRewriteAndPrecisionTheCpuHas() {
		assertThat(this.candidates).extracting(Candidate::name)
			.containsExactly("grappler", "grappler without remapper", "bf16", "bf16 without constant folding", "int8");
		assertThat(new StartupOptimizer(GraphOptimization.DEFAULT, Precision.FP32, true, true).candidates(BASE))
			.extracting(Candidate::precision)
			.containsOnly("fp32");
		assertThat(new StartupOptimizer(GraphOptimization.DEFAULT, Precision.AUTO, false, false).candidates(BASE))
			.extracting(Candidate::precision)
			.containsOnly("fp32");
		assertThat(new StartupOptimizer(GraphOptimization.NONE, Precision.AUTO, true, true).candidates(BASE)).isEmpty();
	}

	@Test
	void servesTheGraphAsImportedWhenEveryCandidateIsSlower() {
		Fake fake = fake(0.01, 240, 101, 140, 104, 99);
		StartupOptimizer.Choice choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(choice.settings()).isEqualTo(IMPORTED);
		assertThat(choice.precision()).isEqualTo("fp32");
		assertThat(choice.steps()).extracting(OptimizationReport.Step::applied)
			.containsExactly(true, false, false, false, false, false);
		// Parity alone keeps nothing: no candidate's outputs were even compared.
		assertThat(fake.compared).isEmpty();
		OptimizationReport.Step grappler = step(choice, "grappler");
		assertThat(grappler.speedup()).isCloseTo(100.0 / 240, org.assertj.core.data.Offset.offset(0.01));
		assertThat(grappler.note()).contains("slower than the graph as imported in each of the first 3 rounds",
				"in 3 rounds");
		assertThat(step(choice, "int8").note()).contains("not faster than the graph as imported by the noise margin",
				"in 7 rounds");
		assertThat(fake.released).containsExactlyInAnyOrderElementsOf(fake.opened);
	}

	@Test
	void aGainInsideTheRunsNoiseIsNotServed() {
		// The baseline's two timings of a round differ by up to 12 %: a 5 % gain is
		// noise.
		Fake fake = fake(0.12, 95, 130, 130, 130, 130);
		StartupOptimizer.Choice choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(choice.settings()).isEqualTo(IMPORTED);
		OptimizationReport.Step grappler = step(choice, "grappler");
		assertThat(grappler.speedup()).isGreaterThan(1.03);
		assertThat(grappler.note()).contains("not faster than the graph as imported by the noise margin");
		// The same gain on a quiet machine clears the margin.
		Fake quiet = fake(0.005, 95, 130, 130, 130, 130).agreement("grappler", SAME);
		assertThat(StartupOptimizer.choose(IMPORTED, this.candidates, quiet).settings())
			.isEqualTo(candidate("grappler").settings());
	}

	@Test
	void servesTheFastestCandidateThatPassesItsCheck() {
		Fake fake = fake(0.01, 90, 80, 60, 70, 50).agreement("int8", CHANGED).agreement("bf16", CLOSE);
		StartupOptimizer.Choice choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(choice.settings()).isEqualTo(candidate("bf16").settings());
		assertThat(choice.precision()).isEqualTo("bf16");
		assertThat(choice.precisionReason()).startsWith("bf16 served, 1.67×");
		// Checked fastest first, until one passed.
		assertThat(fake.compared).containsExactly("int8", "bf16");
		assertThat(step(choice, "int8").note()).contains("not served: fails the accuracy gate");
		assertThat(step(choice, "bf16").note()).contains("served: labels agree on 100.0 % of 212 texts");
		assertThat(step(choice, "grappler").note()).contains("faster, not checked: bf16 is faster and passed");
		assertThat(step(choice, StartupOptimizer.BASELINE).applied()).isFalse();
		assertThat(fake.released).containsExactlyInAnyOrder("grappler", "grappler without remapper",
				"bf16 without constant folding", "int8");
	}

	@Test
	void int8MayMoveOutputsFurtherThanBf16ButNotBeyondItsOwnBound() {
		OutputComparison.Agreement rounded = new OutputComparison.Agreement(1.0, 0.15, 212, 0.929, 0.929);
		OutputComparison.Agreement broken = new OutputComparison.Agreement(1.0, 0.4, 212, 0.929, 0.929);
		Fake fake = fake(0.01, 90, 80, 60, 70, 50).agreement("int8", rounded).agreement("bf16", rounded);
		StartupOptimizer.Choice choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(choice.precision()).isEqualTo("int8");
		assertThat(choice.settings()).isEqualTo(candidate("int8").settings());
		fake = fake(0.01, 90, 80, 60, 70, 50).agreement("int8", broken).agreement("bf16", rounded);
		choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(step(choice, "int8").note()).contains("not served: fails the accuracy gate");
		assertThat(step(choice, "bf16").note()).contains("not served: fails the accuracy gate");
	}

	@Test
	void aTextTheReferenceLeavesUndecidedMayChangeLabelButOnlyUnderReducedPrecision() {
		List<float[]> reference = List.of(new float[] { 0.9f, 0.1f }, new float[] { 0.47f, 0.53f },
				new float[] { 0.3f, 0.7f });
		List<float[]> undecidedFlipped = List.of(new float[] { 0.88f, 0.12f }, new float[] { 0.55f, 0.45f },
				new float[] { 0.32f, 0.68f });
		List<float[]> decidedFlipped = List.of(new float[] { 0.45f, 0.55f }, new float[] { 0.47f, 0.53f },
				new float[] { 0.3f, 0.7f });
		List<String> labels = java.util.Arrays.asList("negative", null, "positive");
		OutputComparison.Agreement undecided = OutputComparison.compare(reference, undecidedFlipped,
				io.eino.serving.sentiment.DefaultModel.descriptor(), labels);
		assertThat(undecided.labelAgreement()).isEqualTo(1.0);
		assertThat(undecided.undecidedChanged()).isEqualTo(1);
		assertThat(undecided.sameLabels()).as("a float32 rewrite may not flip it").isFalse();
		assertThat(undecided.describe()).contains("1 text(s) fp32 leaves undecided changed label");
		OutputComparison.Agreement decided = OutputComparison.compare(reference, decidedFlipped,
				io.eino.serving.sentiment.DefaultModel.descriptor(), labels);
		assertThat(decided.labelAgreement()).isCloseTo(2 / 3.0, org.assertj.core.api.Assertions.within(1e-9));
		assertThat(decided.undecidedChanged()).isZero();
	}

	@Test
	void anEmbeddingModelsReducedPrecisionPassesOnCosineAndNeighboursNotOnLabels() {
		// Output differences beyond the classifier's bound, but vectors that keep their
		// direction and their neighbours.
		OutputComparison.Agreement close = new OutputComparison.Agreement(1.0, 0.4, 212, Double.NaN, Double.NaN, 0,
				new OutputComparison.Retrieval(0.9995, 1.0));
		OutputComparison.Agreement turned = new OutputComparison.Agreement(1.0, 0.01, 212, Double.NaN, Double.NaN, 0,
				new OutputComparison.Retrieval(0.998, 1.0));
		OutputComparison.Agreement reordered = new OutputComparison.Agreement(1.0, 0.01, 212, Double.NaN, Double.NaN, 0,
				new OutputComparison.Retrieval(0.9995, 0.985));
		Fake fake = fake(0.01, 90, 80, 60, 70, 50).agreement("int8", close).agreement("bf16", close);
		assertThat(StartupOptimizer.choose(IMPORTED, this.candidates, fake).precision()).isEqualTo("int8");
		fake = fake(0.01, 90, 80, 60, 70, 50).agreement("int8", turned)
			.agreement("bf16", reordered)
			.agreement("bf16 without constant folding", reordered);
		StartupOptimizer.Choice choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(choice.precision()).isEqualTo("fp32");
		assertThat(step(choice, "int8").note()).contains("not served: fails the embedding gate")
			.contains("cosine to the reference at least 0.99800");
		assertThat(step(choice, "bf16").note()).contains("not served: fails the embedding gate")
			.contains("top-10 neighbours unchanged for 98.5 % of 212 texts");
	}

	@Test
	void theRetrievalCheckComparesEachTextsTenNearestTexts() {
		java.util.Random random = new java.util.Random(7);
		List<float[]> reference = new java.util.ArrayList<>();
		for (int text = 0; text < 40; text++) {
			float[] vector = new float[16];
			for (int i = 0; i < vector.length; i++) {
				vector[i] = (float) random.nextGaussian();
			}
			reference.add(vector);
		}
		ModelDescriptor embedding = io.eino.serving.sentiment.DefaultModel.embeddingDescriptor();
		List<String> labels = java.util.Collections.nCopies(40, null);
		OutputComparison.Agreement same = OutputComparison.compare(reference, reference, embedding, labels);
		assertThat(same.retrieval().minCosine()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
		assertThat(same.retrieval().neighbourAgreement()).isEqualTo(1.0);
		assertThat(same.sameLabels()).isTrue();
		// Text 0 moved onto text 1: its own neighbours change, and it enters others'.
		List<float[]> moved = new java.util.ArrayList<>(reference);
		moved.set(0, reference.get(1).clone());
		OutputComparison.Agreement changed = OutputComparison.compare(reference, moved, embedding, labels);
		assertThat(changed.retrieval().minCosine()).isLessThan(0.9);
		assertThat(changed.retrieval().neighbourAgreement()).isLessThan(1.0).isGreaterThan(0.5);
		assertThat(changed.labelAgreement()).as("embeddings have no labels").isEqualTo(1.0);
		assertThat(changed.sameLabels()).isTrue();
	}

	@Test
	void aFloat32RewriteThatChangesTheOutputsIsNotServed() {
		Fake fake = fake(0.01, 50, 80, 130, 130, 130).agreement("grappler", CLOSE)
			.agreement("grappler without remapper", SAME);
		StartupOptimizer.Choice choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(choice.settings()).isEqualTo(candidate("grappler without remapper").settings());
		assertThat(step(choice, "grappler").note()).contains("not served: it changes the outputs");
	}

	@Test
	void reducedPrecisionMustPayMoreThanTheNoise() {
		Fake fake = fake(0.005, 130, 130, 95, 130, 130).agreement("bf16", CLOSE);
		StartupOptimizer.Choice choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(choice.settings()).isEqualTo(IMPORTED);
		assertThat(step(choice, "bf16").note()).contains("reduced precision must be at least 1.1× faster");
	}

	@Test
	void aCandidateThatCannotLoadIsReportedAndSkipped() {
		Fake fake = fake(0.01, 130, 130, 130, 130, 130).failing("int8", "int8 needs a graph that can be frozen");
		StartupOptimizer.Choice choice = StartupOptimizer.choose(IMPORTED, this.candidates, fake);
		assertThat(choice.settings()).isEqualTo(IMPORTED);
		assertThat(step(choice, "int8").note()).contains("not tried: int8 needs a graph that can be frozen");
		assertThat(step(choice, "int8").millis()).isNaN();
	}

	@Test
	void aVersionWhoseWeightsFailItsSiblingsPrecisionTakesTheNextItsTimingsFoundFaster() {
		StartupPlans.Plan sibling = plan(StartupOptimizer.choose(IMPORTED, this.candidates,
				fake(0.01, 90, 80, 60, 70, 50).agreement("int8", CLOSE)));
		assertThat(sibling.precision()).isEqualTo("int8");
		assertThat(sibling.steps()).filteredOn(OptimizationReport.Step::faster)
			.extracting(OptimizationReport.Step::name)
			.containsExactlyInAnyOrder("grappler", "grappler without remapper", "bf16", "bf16 without constant folding",
					"int8");
		List<Candidate> ladder = StartupTuner.ladder(sibling, BASE, this.candidates, true);
		assertThat(ladder).extracting(Candidate::name)
			.containsExactly("int8", "bf16", "bf16 without constant folding", "grappler without remapper", "grappler");

		// The new version's weights: int8 moves its labels, bf16 does not.
		Fake version = new Fake(100, 0.01).agreement("int8", CHANGED);
		StartupOptimizer.Choice choice = StartupTuner.decide(IMPORTED, sibling, ladder, version, "; taken");
		assertThat(choice.settings()).isEqualTo(candidate("bf16").settings());
		assertThat(choice.precision()).isEqualTo("bf16");
		assertThat(choice.precisionReason()).startsWith("bf16 served, 1.67× faster than the graph as imported; taken")
			.contains("; taken; int8 failed here; checked on this version: labels agree on 100.0 % of 212 texts");
		// Nothing timed: only the outputs were checked, the sibling's choice first.
		assertThat(version.round).isZero();
		assertThat(version.compared).containsExactly("int8", "bf16");
		assertThat(version.released).containsExactly("int8", "bf16");
		assertThat(choice.steps()).filteredOn(OptimizationReport.Step::applied)
			.extracting(OptimizationReport.Step::name)
			.containsExactly("bf16");
		assertThat(step(choice, "int8").note()).contains("on this version: not served: fails the accuracy gate");
		assertThat(step(choice, "bf16").note()).contains("on this version: served: labels agree");
		// The cost model was measured with int8: the warm-up measures bf16's own.
		assertThat(choice.costModel()).isNull();
		assertThat(choice.stepsMeasured()).isEqualTo(sibling.stepsMeasured());
	}

	@Test
	void aVersionThatPassesItsSiblingsPrecisionServesItAfterOneCheck() {
		StartupPlans.Plan sibling = plan(StartupOptimizer.choose(IMPORTED, this.candidates,
				fake(0.01, 90, 80, 60, 70, 50).agreement("int8", CLOSE)));
		Fake version = new Fake(100, 0.01).agreement("int8", CLOSE);
		StartupOptimizer.Choice choice = StartupTuner.decide(IMPORTED, sibling,
				StartupTuner.ladder(sibling, BASE, this.candidates, true), version, "; taken");
		assertThat(choice.settings()).isEqualTo(sibling.settings(BASE));
		assertThat(choice.precision()).isEqualTo("int8");
		assertThat(choice.precisionReason()).startsWith(sibling.reason() + "; taken; checked on this version");
		assertThat(choice.costModel()).isEqualTo(sibling.costModel());
		assertThat(version.compared).containsExactly("int8");
	}

	@Test
	void aVersionThatPassesNoneOfItsSiblingsCandidatesServesTheGraphAsImported() {
		// The sibling served the remapper-free rewrite; the other rewrite was slower.
		StartupPlans.Plan sibling = plan(
				StartupOptimizer.choose(IMPORTED, this.candidates.subList(0, 2), fake(0.01, 130, 80)));
		assertThat(sibling.precision()).isEqualTo("fp32");
		List<Candidate> ladder = StartupTuner.ladder(sibling, BASE, this.candidates, true);
		assertThat(ladder).extracting(Candidate::name).containsExactly("grappler without remapper");
		Fake version = new Fake(100, 0.01).agreement("grappler without remapper", CLOSE);
		StartupOptimizer.Choice choice = StartupTuner.decide(IMPORTED, sibling, ladder, version, "; taken");
		assertThat(choice.settings()).isEqualTo(IMPORTED);
		assertThat(choice.precision()).isEqualTo("fp32");
		assertThat(choice.precisionReason()).startsWith("fp32 as imported: no candidate its timings found faster")
			.endsWith("; grappler without remapper failed here");
		assertThat(step(choice, StartupOptimizer.BASELINE).applied()).isTrue();
		assertThat(step(choice, "grappler without remapper").note())
			.contains("on this version: not served: it changes the outputs");
		assertThat(version.round).isZero();
	}

	@Test
	void withoutTextsToCheckThemOnReducedPrecisionsLeaveTheLadder() {
		StartupPlans.Plan sibling = plan(StartupOptimizer.choose(IMPORTED, this.candidates,
				fake(0.01, 90, 80, 60, 70, 50).agreement("int8", CLOSE)));
		List<Candidate> ladder = StartupTuner.ladder(sibling, BASE, this.candidates, false);
		assertThat(ladder).extracting(Candidate::name).containsExactly("grappler without remapper", "grappler");
		// The first fp32 rewrite that passes serves, as fp32, with no cost model of
		// int8's.
		Fake version = new Fake(100, 0.01).agreement("grappler without remapper", CHANGED);
		StartupOptimizer.Choice choice = StartupTuner.decide(IMPORTED, sibling, ladder, version, "; taken");
		assertThat(choice.settings()).isEqualTo(candidate("grappler").settings());
		assertThat(choice.precision()).isEqualTo("fp32");
		assertThat(choice.precisionReason()).startsWith("grappler served, 1.11× faster than the graph as imported")
			.contains("grappler without remapper failed here");
		assertThat(choice.costModel()).isNull();
	}

	/** The plan the step stores for {@code choice}, as {@link StartupPlans} does. */
	private static StartupPlans.Plan plan(StartupOptimizer.Choice choice) {
		SessionSettings settings = choice.settings();
		return new StartupPlans.Plan("key", "2026-12-07T21:00:00Z", settings.optimization(), settings.bfloat16(),
				settings.int8(), settings.skipped(), choice.precision(), choice.precisionReason(), choice.steps(),
				new BatchCostModel(6e6, 2e4, 5e4), null, "structure", "on version 5 at 2026-12-07T21:00:00Z");
	}

	/**
	 * The baseline at 100 ms with {@code noise}, and each candidate's time, in the order
	 * of {@link #offersEveryRewriteAndPrecisionTheCpuHas}.
	 */
	private Fake fake(double noise, double... millis) {
		Fake fake = new Fake(100, noise);
		for (int i = 0; i < millis.length; i++) {
			fake.time(this.candidates.get(i).name(), millis[i]);
		}
		return fake;
	}

	private Candidate candidate(String name) {
		return this.candidates.stream().filter((candidate) -> candidate.name().equals(name)).findFirst().orElseThrow();
	}

	private static OptimizationReport.Step step(StartupOptimizer.Choice choice, String name) {
		return choice.steps().stream().filter((step) -> step.name().equals(name)).findFirst().orElseThrow();
	}

	/**
	 * Timings by candidate name: the baseline takes {@code baseline} ms, its second
	 * timing in a round off by {@code noise} (alternating up and down, growing with the
	 * round), each candidate a fixed time.
	 */
	private static final class Fake implements StartupMeasurements {

		private final double baseline;

		private final double noise;

		private final Map<String, Double> times = new HashMap<>();

		private final Map<String, OutputComparison.Agreement> agreements = new HashMap<>();

		private final Map<String, String> failures = new HashMap<>();

		private final List<String> opened = new ArrayList<>();

		private final List<String> released = new ArrayList<>();

		private final List<String> compared = new ArrayList<>();

		private int round;

		Fake(double baseline, double noise) {
			this.baseline = baseline;
			this.noise = noise;
		}

		Fake time(String candidate, double millis) {
			this.times.put(candidate, millis);
			return this;
		}

		Fake agreement(String candidate, OutputComparison.Agreement agreement) {
			this.agreements.put(candidate, agreement);
			return this;
		}

		Fake failing(String candidate, String failure) {
			this.failures.put(candidate, failure);
			return this;
		}

		@Override
		public String open(Candidate candidate) {
			String failure = this.failures.get(candidate.name());
			if (failure == null) {
				this.opened.add(candidate.name());
			}
			return failure;
		}

		@Override
		public double[] round(List<Candidate> candidates) {
			double[] millis = new double[candidates.size() + 2];
			double swing = this.noise * (1 + this.round % 3) / 3 * ((this.round % 2 == 0) ? 1 : -1);
			millis[0] = this.baseline * (1 + swing / 2);
			for (int i = 0; i < candidates.size(); i++) {
				millis[i + 1] = this.times.get(candidates.get(i).name());
			}
			millis[millis.length - 1] = this.baseline * (1 - swing / 2);
			this.round++;
			return millis;
		}

		@Override
		public OutputComparison.Agreement compare(Candidate candidate) {
			this.compared.add(candidate.name());
			return this.agreements.getOrDefault(candidate.name(), SAME);
		}

		@Override
		public OpProfile profile(Candidate candidate) {
			return null;
		}

		@Override
		public String rewrites(Candidate candidate) {
			return "";
		}

		@Override
		public void release(Candidate candidate) {
			this.released.add(candidate.name());
		}

	}

}
