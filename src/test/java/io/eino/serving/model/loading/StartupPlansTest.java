package io.eino.serving.model.loading;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.eino.serving.batching.BatchCostModel;
import io.eino.serving.graph.ActivationRanges;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.GrapplerPass;
import io.eino.serving.graph.Precision;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.TextTokenizer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stored startup plans: the step runs once for a version's content on this CPU and these
 * settings, its choice is reused on the next load, and anything that changes what the
 * choice was made for (a file of the version or of the model, what the step reads of the
 * descriptor, the thread layout) or a forgotten plan tunes again.
 */
class StartupPlansTest {

	private static final SessionSettings BASE = new SessionSettings(2, 2, GraphOptimization.DEFAULT, false,
			SessionSettings.Gpu.DEFAULT, false);

	private static final SessionSettings CHOSEN = BASE.withOptimization(GraphOptimization.DEFAULT, true)
		.without(GrapplerPass.CONSTANT_FOLDING);

	private static final ModelDescriptor DESCRIPTOR = DefaultModel.descriptor();

	@TempDir
	Path model;

	private Path version;

	private final List<Path> tuned = new ArrayList<>();

	/** The versions a sibling's decision was offered to, and the plan offered. */
	private final List<Path> adopting = new ArrayList<>();

	private final List<StartupPlans.Plan> offered = new ArrayList<>();

	/** What adopting a sibling's decision gives: null as when it fails the checks. */
	private StartupOptimizer.Choice adoption;

	private StartupPlans plans;

	@BeforeEach
	void version() throws IOException {
		this.version = Files.createDirectories(this.model.resolve("3"));
		Files.writeString(this.version.resolve("saved_model.pb"), "graph");
		Files.createDirectories(this.version.resolve("variables"));
		Files.writeString(this.version.resolve("variables/variables.data-00000-of-00001"), "weights");
		Files.writeString(this.model.resolve("model.yaml"), "labels: [negative, positive]\n");
		this.plans = new StartupPlans(new StartupPlans.Tuner() {

			@Override
			public StartupOptimizer.Choice choose(Path versionDirectory, Path modelDirectory,
					ModelDescriptor descriptor, TextTokenizer tokenizer, SessionSettings base) {
				StartupPlansTest.this.tuned.add(versionDirectory);
				return new StartupOptimizer.Choice(CHOSEN,
						List.of(new OptimizationReport.Step("bf16 without constant folding", true, 80, 1.4, "served")),
						"bf16", "bf16 without constant folding served");
			}

			@Override
			public StartupOptimizer.Choice adopt(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor,
					TextTokenizer tokenizer, SessionSettings base, StartupPlans.Plan sibling) {
				StartupPlansTest.this.adopting.add(versionDirectory);
				StartupPlansTest.this.offered.add(sibling);
				return StartupPlansTest.this.adoption;
			}

		}, GraphOptimization.DEFAULT, Precision.AUTO, 1);
	}

	@Test
	void aPlanAnEarlierBuildStoredIsStillReadSoThatItIsMovedAndPrunedWithItsGraph() throws IOException {
		// Without the steps' "faster", which plans gained later.
		Path file = Files.writeString(this.version.resolve(StartupPlans.FILE_NAME), """
				{"key": "earlier", "created": "2026-12-06T10:00:00Z", "optimization": "DEFAULT",
				 "bfloat16": true, "int8": false, "skipped": [], "precision": "bf16", "reason": "bf16 served",
				 "steps": [{"name": "bf16", "applied": true, "millis": 95.0, "speedup": 1.5, "note": "served"}]}
				""");
		StartupPlans.Plan plan = PlanHome.read(file);
		assertThat(plan).isNotNull();
		assertThat(plan.key()).isEqualTo("earlier");
		assertThat(plan.steps()).singleElement().satisfies((step) -> {
			assertThat(step.applied()).isTrue();
			assertThat(step.faster()).isFalse();
		});
		tune();
		assertThat(new PlanHome(this.version).earlier("earlier")).isRegularFile();
	}

	@Test
	void aStoredPlanIsReusedForTheSameContentAndSettings() {
		StartupOptimizer.Choice first = tune();
		assertThat(this.tuned).hasSize(1);
		assertThat(this.version.resolve(StartupPlans.FILE_NAME)).isRegularFile();
		this.plans.remember(this.version, key(BASE), new BatchCostModel(6e6, 2e3, 5e4));
		StartupOptimizer.Choice reused = this.plans.reuse(this.version, key(BASE), BASE);
		assertThat(reused).isNotNull();
		assertThat(reused.settings()).isEqualTo(first.settings()).isEqualTo(CHOSEN);
		assertThat(reused.precision()).isEqualTo("bf16");
		assertThat(reused.steps()).isEqualTo(first.steps());
		assertThat(reused.precisionReason()).contains("reused");
		// The report says its timings are the earlier start's, not this one's.
		assertThat(first.stepsMeasured()).isEqualTo("at this start");
		assertThat(reused.stepsMeasured()).startsWith("at the start of 20");
		assertThat(reused.costModel()).isEqualTo(new BatchCostModel(6e6, 2e3, 5e4));
		assertThat(this.tuned).hasSize(1);
	}

	@Test
	void aNewVersionWithTheSameFilesTakesItsSiblingsPlan() throws IOException {
		tune();
		Path copy = Files.createDirectories(this.model.resolve("4"));
		Files.writeString(copy.resolve("saved_model.pb"), "graph");
		Files.createDirectories(copy.resolve("variables"));
		Files.writeString(copy.resolve("variables/variables.data-00000-of-00001"), "weights");
		String key = this.plans.key(copy, this.model, DESCRIPTOR, BASE);
		assertThat(key).isEqualTo(key(BASE));
		this.plans.storeGraph(this.version, key,
				MetaGraphDef.newBuilder()
					.putSignatureDef("serving_default", org.tensorflow.proto.SignatureDef.getDefaultInstance())
					.build());
		StartupOptimizer.Choice reused = this.plans.reuse(copy, key, BASE);
		assertThat(reused).isNotNull();
		assertThat(reused.settings()).isEqualTo(CHOSEN);
		assertThat(reused.stepsMeasured()).startsWith("on version " + this.version.getFileName() + " at 20");
		assertThat(copy.resolve(StartupPlans.FILE_NAME)).isRegularFile();
		// The same files and settings serve the same optimised graph.
		assertThat(this.plans.graph(copy, key)).isNotNull()
			.extracting(MetaGraphDef::getSignatureDefMap)
			.isEqualTo(this.plans.graph(this.version, key).getSignatureDefMap());
		assertThat(this.tuned).hasSize(1);
		// Other weights under the new number: tuned for themselves.
		Files.writeString(copy.resolve("variables/variables.data-00000-of-00001"), "retrained");
		assertThat(this.plans.reuse(copy, this.plans.key(copy, this.model, DESCRIPTOR, BASE), BASE)).isNull();
	}

	/**
	 * Other weights of the same shapes under a new number: the decision of the sibling
	 * whose structure it shares is offered to it, and serves when it passes the checks
	 * there (with what the checks measured, int8's ranges say); it is stored as the new
	 * version's plan, for its own content.
	 */
	@Test
	void aNewVersionWithOtherWeightsOfTheSameStructureTakesItsSiblingsDecisionWhenItPassesTheChecks()
			throws IOException {
		this.plans.tune(this.version, key(BASE), this.model, this.version, DESCRIPTOR, null, BASE);
		Path retrained = retrained("4", "weightz");
		String key = this.plans.key(retrained, this.model, DESCRIPTOR, BASE);
		assertThat(key).isNotEqualTo(key(BASE));
		ActivationRanges ranges = new ActivationRanges(Map.of("encoder/LayerNorm", new float[] { 2.5f }));
		SessionSettings checked = CHOSEN.withInt8(ranges);
		this.adoption = new StartupOptimizer.Choice(checked, List.of(), "int8", "int8 served; checked on this version",
				null, "on version 3 at 2026-12-07T17:20:07Z");
		StartupOptimizer.Choice choice = this.plans.tune(retrained, key, this.model, retrained, DESCRIPTOR, null, BASE);
		assertThat(choice.settings()).isEqualTo(checked);
		assertThat(this.tuned).containsExactly(this.version);
		assertThat(this.adopting).containsExactly(retrained);
		assertThat(this.offered).singleElement().satisfies((plan) -> {
			assertThat(plan.key()).isEqualTo(key(BASE));
			assertThat(plan.settings(BASE)).isEqualTo(CHOSEN);
			// Its steps were timed on the sibling, and what takes it can say so.
			assertThat(plan.stepsMeasured()).startsWith("on version " + this.version.getFileName() + " at 20");
		});
		StartupOptimizer.Choice reused = this.plans.reuse(retrained, key, BASE);
		assertThat(reused.settings()).isEqualTo(checked);
		assertThat(reused.settings().ranges().of("encoder/LayerNorm")).containsExactly(2.5f);
		assertThat(reused.precisionReason()).contains("checked on this version");
		// The report says whose timings they are, after a restart too.
		assertThat(reused.stepsMeasured()).isEqualTo("on version 3 at 2026-12-07T17:20:07Z");
	}

	/**
	 * When the sibling's decision fails the checks on the new version, the step runs for
	 * it; a version of another structure (weights of another size) is never offered one.
	 */
	@Test
	void aSiblingsDecisionThatFailsTheChecksOrAnotherStructureTunesTheNewVersion() throws IOException {
		this.plans.tune(this.version, key(BASE), this.model, this.version, DESCRIPTOR, null, BASE);
		Path retrained = retrained("4", "weightz");
		this.plans.tune(retrained, this.plans.key(retrained, this.model, DESCRIPTOR, BASE), this.model, retrained,
				DESCRIPTOR, null, BASE);
		assertThat(this.adopting).containsExactly(retrained);
		assertThat(this.tuned).containsExactly(this.version, retrained);
		Path larger = retrained("5", "more weights");
		this.plans.tune(larger, this.plans.key(larger, this.model, DESCRIPTOR, BASE), this.model, larger, DESCRIPTOR,
				null, BASE);
		assertThat(this.adopting).containsExactly(retrained);
		assertThat(this.tuned).containsExactly(this.version, retrained, larger);
	}

	/**
	 * The structure key reads the graph's constants by type and shape only: new values
	 * keep it, another shape or another op changes it. The content key changes with
	 * either.
	 */
	@Test
	void theStructureKeyIgnoresTheValuesOfTheGraphsConstantsButNotTheirShapes() throws IOException {
		PlanKey keys = new PlanKey(1, GraphOptimization.DEFAULT, Precision.AUTO, 1);
		Path graph = this.version.resolve(GraphStructure.SAVED_MODEL);
		savedModel(graph, "Const", new float[] { 1, 2, 3, 4 });
		String structure = keys.structureOf(this.version, this.model, DESCRIPTOR, BASE);
		String content = keys.of(this.version, this.model, DESCRIPTOR, BASE);
		savedModel(graph, "Const", new float[] { 4, 3, 2, 1 });
		assertThat(keys.structureOf(this.version, this.model, DESCRIPTOR, BASE)).isEqualTo(structure);
		assertThat(keys.of(this.version, this.model, DESCRIPTOR, BASE)).isNotEqualTo(content);
		savedModel(graph, "Const", new float[] { 1, 2, 3 });
		assertThat(keys.structureOf(this.version, this.model, DESCRIPTOR, BASE)).isNotEqualTo(structure);
		savedModel(graph, "HostConst", new float[] { 1, 2, 3, 4 });
		assertThat(keys.structureOf(this.version, this.model, DESCRIPTOR, BASE)).isNotEqualTo(structure);
	}

	@Test
	void aChangedFileOfTheVersionOrTheModelTunesAgain() throws IOException {
		tune();
		String before = key(BASE);
		Files.writeString(this.version.resolve("variables/variables.data-00000-of-00001"), "other weights");
		assertThat(key(BASE)).isNotEqualTo(before);
		assertThat(this.plans.reuse(this.version, key(BASE), BASE)).isNull();
		tune();
		String retrained = key(BASE);
		// The model's own files count, but for model.yaml: of it only what the step
		// reads.
		Files.writeString(this.model.resolve("tokenizer.json"), "{}");
		assertThat(this.plans.reuse(this.version, key(BASE), BASE)).isNull();
		assertThat(key(BASE)).isNotEqualTo(retrained);
		String sharedTokenizer = key(BASE);
		Files.writeString(this.model.resolve("model.yaml"), "labels: [bad, good]\nrate-limit: 5\n");
		assertThat(key(BASE)).isEqualTo(sharedTokenizer);
		ModelDescriptor otherTexts = new ModelDescriptor(DESCRIPTOR.task(), DESCRIPTOR.signature(),
				DESCRIPTOR.tokenizer(), DESCRIPTOR.maxTokens(), DESCRIPTOR.overflow(), DESCRIPTOR.labels(),
				DESCRIPTOR.output(), "other-evaluation.tsv", DESCRIPTOR.preprocess(), DESCRIPTOR.postprocess());
		assertThat(this.plans.key(this.version, this.model, otherTexts, BASE)).isNotEqualTo(sharedTokenizer);
	}

	@Test
	void anotherThreadLayoutTunesAgain() {
		tune();
		SessionSettings fourThreads = new SessionSettings(4, 2, GraphOptimization.DEFAULT, false,
				SessionSettings.Gpu.DEFAULT, false);
		assertThat(key(fourThreads)).isNotEqualTo(key(BASE));
		assertThat(this.plans.reuse(this.version, key(fourThreads), fourThreads)).isNull();
		StartupPlans otherSettings = new StartupPlans((a, b, c, d, e) -> null, GraphOptimization.DEFAULT,
				Precision.FP32, 1);
		assertThat(otherSettings.key(this.version, this.model, DESCRIPTOR, BASE)).isNotEqualTo(key(BASE));
	}

	@Test
	void twoConfigurationsInTurnEachKeepTheirPlanAndOnlyTheNewestFewAreKept() throws IOException {
		SessionSettings fourThreads = new SessionSettings(4, 2, GraphOptimization.DEFAULT, false,
				SessionSettings.Gpu.DEFAULT, false);
		tune();
		this.plans.tune(this.version, key(fourThreads), this.model, this.version, null, null, fourThreads);
		assertThat(this.tuned).hasSize(2);
		// Back and forth: each finds its own plan, neither replaces the other.
		for (int turn = 0; turn < 2; turn++) {
			assertThat(this.plans.reuse(this.version, key(BASE), BASE)).isNotNull();
			assertThat(this.plans.reuse(this.version, key(fourThreads), fourThreads)).isNotNull();
		}
		assertThat(this.tuned).hasSize(2);
		assertThat(this.version.resolve(StartupPlans.FILE_NAME)).isRegularFile();
		// A cost model reaches the plan of its key, wherever it lies.
		this.plans.remember(this.version, key(BASE), new BatchCostModel(6e6, 2e3, 5e4));
		assertThat(this.plans.reuse(this.version, key(BASE), BASE).costModel())
			.isEqualTo(new BatchCostModel(6e6, 2e3, 5e4));
		// Every layout tuned once more: the oldest plans go, the newest stay.
		for (int threads = 5; threads < 5 + PlanHome.KEPT; threads++) {
			SessionSettings layout = new SessionSettings(threads, 2, GraphOptimization.DEFAULT, false,
					SessionSettings.Gpu.DEFAULT, false);
			this.plans.tune(this.version, key(layout), this.model, this.version, null, null, layout);
		}
		try (Stream<Path> files = Files.list(this.version)) {
			assertThat(files.map((file) -> file.getFileName().toString()).filter((name) -> name.startsWith("startup-")))
				.hasSize(PlanHome.KEPT);
		}
		assertThat(this.plans.reuse(this.version, key(BASE), BASE)).isNull();
		this.plans.forget(List.of(this.version));
		try (Stream<Path> files = Files.list(this.version)) {
			assertThat(files.map((file) -> file.getFileName().toString())).noneMatch(PlanHome::isPlanFile);
		}
	}

	@Test
	void aForgottenOrUnreadablePlanTunesAgain() throws IOException {
		tune();
		this.plans.forget(List.of(this.version));
		assertThat(this.plans.reuse(this.version, key(BASE), BASE)).isNull();
		Files.writeString(this.version.resolve(StartupPlans.FILE_NAME), "{ not json");
		assertThat(this.plans.reuse(this.version, key(BASE), BASE)).isNull();
	}

	@Test
	void aPlanThatCannotBeStoredStillServesItsChoice() throws IOException {
		// Where the plan would go stands a directory (root writes through permissions).
		Path blocked = Files.createDirectories(this.version.resolve(StartupPlans.FILE_NAME));
		Files.writeString(blocked.resolve("keep"), "");
		StartupOptimizer.Choice choice = tune();
		assertThat(choice.settings()).isEqualTo(CHOSEN);
		assertThat(blocked).isDirectory();
		assertThat(this.plans.reuse(this.version, key(BASE), BASE)).isNull();
	}

	/**
	 * A read-only repository (the container image's) with a plan directory beside it:
	 * plans go there, by model and version, and a restart reuses them.
	 */
	@Test
	void aPlanDirectoryHoldsThePlansOfAReadOnlyRepository(@TempDir Path directory) {
		StartupPlans elsewhere = new StartupPlans((versionDirectory, modelDirectory, descriptor, tokenizer, base) -> {
			this.tuned.add(versionDirectory);
			return new StartupOptimizer.Choice(CHOSEN, List.of(), "bf16", "bf16 without constant folding served");
		}, GraphOptimization.DEFAULT, Precision.AUTO, 1, directory);
		elsewhere.tune(this.version, key(BASE), this.model, this.version, null, null, BASE);
		Path plan = directory.resolve(this.model.getFileName().toString()).resolve("3").resolve(StartupPlans.FILE_NAME);
		assertThat(plan).isRegularFile();
		assertThat(this.version.resolve(StartupPlans.FILE_NAME)).doesNotExist();
		// After a restart: a new instance, the same directory.
		StartupPlans restarted = new StartupPlans((a, b, c, d, e) -> null, GraphOptimization.DEFAULT, Precision.AUTO, 1,
				directory);
		assertThat(restarted.reuse(this.version, key(BASE), BASE).settings()).isEqualTo(CHOSEN);
		assertThat(this.plans.reuse(this.version, key(BASE), BASE)).as("nothing beside the version").isNull();
		restarted.forget(List.of(this.version));
		assertThat(plan).doesNotExist();
		assertThat(this.tuned).hasSize(1);
	}

	@Test
	void anInt8PlanKeepsTheActivationRangesItWasCalibratedWith() {
		ActivationRanges ranges = new ActivationRanges(
				Map.of("encoder/LayerNorm", new float[] { 1.5f, 28.5f, 0.25f }, "encoder/Mul_3", new float[] { 3f }));
		SessionSettings int8 = BASE.withOptimization(GraphOptimization.DEFAULT, false).withInt8(ranges);
		StartupPlans plans = new StartupPlans((versionDirectory, modelDirectory, descriptor, tokenizer, base) -> {
			this.tuned.add(versionDirectory);
			return new StartupOptimizer.Choice(int8, List.of(), "int8", "int8 served");
		}, GraphOptimization.DEFAULT, Precision.AUTO, 1);
		plans.tune(this.version, key(BASE), this.model, this.version, null, null, BASE);
		StartupOptimizer.Choice reused = new StartupPlans((a, b, c, d, e) -> null, GraphOptimization.DEFAULT,
				Precision.AUTO, 1)
			.reuse(this.version, key(BASE), BASE);
		assertThat(reused.settings()).isEqualTo(int8);
		assertThat(reused.settings().ranges().of("encoder/LayerNorm")).containsExactly(1.5f, 28.5f, 0.25f);
		assertThat(reused.settings().ranges()).isNotEqualTo(ActivationRanges.NONE);
	}

	/** A version beside the tuned one: its graph, and weights of {@code weights}. */
	private Path retrained(String number, String weights) throws IOException {
		Path retrained = Files.createDirectories(this.model.resolve(number));
		Files.writeString(retrained.resolve("saved_model.pb"), "graph");
		Files.createDirectories(retrained.resolve("variables"));
		Files.writeString(retrained.resolve("variables/variables.data-00000-of-00001"), weights);
		return retrained;
	}

	/** A SavedModel of one node {@code op} holding {@code values} as its tensor. */
	private static void savedModel(Path file, String op, float[] values) throws IOException {
		TensorProto.Builder tensor = TensorProto.newBuilder()
			.setDtype(DataType.DT_FLOAT)
			.setTensorShape(
					TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(values.length)));
		for (float value : values) {
			tensor.addFloatVal(value);
		}
		NodeDef node = NodeDef.newBuilder()
			.setName("weights")
			.setOp(op)
			.putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
			.putAttr("value", AttrValue.newBuilder().setTensor(tensor).build())
			.build();
		Files.write(file,
				SavedModel.newBuilder()
					.addMetaGraphs(MetaGraphDef.newBuilder().setGraphDef(GraphDef.newBuilder().addNode(node)))
					.build()
					.toByteArray());
	}

	private StartupOptimizer.Choice tune() {
		return this.plans.tune(this.version, key(BASE), this.model, this.version, null, null, BASE);
	}

	private String key(SessionSettings base) {
		return this.plans.key(this.version, this.model, DESCRIPTOR, base);
	}

}
