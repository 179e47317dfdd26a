package io.eino.serving.model.loading;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import com.google.protobuf.ByteString;
import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.batching.BatchCostModel;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.TextTokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.TensorProto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * A new version of the default model with other weights (its classifier retrained, here
 * scaled) takes the bf16 decision of a sibling with the same structure, on real sessions:
 * only after its own outputs passed the gate against its own graph as imported, on its
 * own 212 evaluation texts. The decisions around it (no sibling, another structure, a
 * failed check) are in {@link StartupPlansTest}.
 */
@Tag(TestTags.TENSORFLOW)
class StartupTunerTest {

	private static final SessionSettings BASE = new SessionSettings(2, 2, GraphOptimization.DEFAULT, false,
			SessionSettings.Gpu.DEFAULT, false);

	@TempDir
	Path model;

	@Test
	void aRetrainedVersionTakesItsSiblingsDecisionOnceItsOwnOutputsPassTheGate() throws IOException {
		Path original = TestModels.repository().resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION);
		Path sibling = copy(original, this.model.resolve("5"));
		Path retrained = copy(original, this.model.resolve("6"));
		scaleClassifier(retrained.resolve(GraphStructure.SAVED_MODEL), 1.5f);
		ModelDescriptor descriptor = DefaultModel.descriptor();
		PlanKey keys = new PlanKey(1, GraphOptimization.DEFAULT, Precision.AUTO, 1);
		assertThat(keys.of(retrained, this.model, descriptor, BASE))
			.isNotEqualTo(keys.of(sibling, this.model, descriptor, BASE));
		assertThat(keys.structureOf(retrained, this.model, descriptor, BASE))
			.isEqualTo(keys.structureOf(sibling, this.model, descriptor, BASE));

		BatchCostModel costs = new BatchCostModel(6e6, 2e4, 5e4);
		List<OptimizationReport.Step> steps = List.of(
				new OptimizationReport.Step(StartupOptimizer.BASELINE, false, 150, 1.0, "the graph as imported"),
				new OptimizationReport.Step("bf16", true, 95, 1.51, "served"));
		StartupPlans.Plan plan = new StartupPlans.Plan("sibling", "2026-12-07T17:20:07Z", GraphOptimization.DEFAULT,
				true, false, Set.of(), "bf16", "bf16 served, 1.51× faster than the graph as imported", steps, costs,
				null, "structure", "on version 3 at 2026-12-07T17:20:07Z");
		try (TextTokenizer tokenizer = TextTokenizer.load(retrained.resolve(descriptor.tokenizer()),
				descriptor.maxTokens(), descriptor.overflow())) {
			StartupOptimizer.Choice choice = new StartupTuner(GraphOptimization.DEFAULT, Precision.AUTO)
				.adopt(retrained, this.model, descriptor, tokenizer, BASE, plan);
			assertThat(choice).isNotNull();
			assertThat(choice.settings()).isEqualTo(plan.settings(BASE));
			assertThat(choice.precision()).isEqualTo("bf16");
			assertThat(choice.steps()).extracting(OptimizationReport.Step::name, OptimizationReport.Step::applied)
				.containsExactly(tuple(StartupOptimizer.BASELINE, false), tuple("bf16", true));
			assertThat(choice.steps().get(1).note()).startsWith("served; on this version: served: labels agree on");
			assertThat(choice.costModel()).isEqualTo(costs);
			assertThat(choice.stepsMeasured()).isEqualTo("on version 3 at 2026-12-07T17:20:07Z");
			assertThat(choice.precisionReason()).startsWith(plan.reason())
				.contains("decided for a version with the same structure (timed on version 3 at 2026-12-07T17:20:07Z)",
						"checked on this version: labels agree on", "of 212 texts");
		}
	}

	/** {@code source}'s files hard-linked into {@code target}. */
	private static Path copy(Path source, Path target) throws IOException {
		try (Stream<Path> files = Files.walk(source)) {
			for (Path file : files.sorted(Comparator.naturalOrder()).toList()) {
				String name = file.getFileName().toString();
				Path copy = target.resolve(source.relativize(file).toString());
				if (Files.isDirectory(file)) {
					Files.createDirectories(copy);
				}
				else if (!PlanHome.isPlanFile(name)) {
					Files.createLink(copy, file);
				}
			}
		}
		return target;
	}

	/**
	 * Rewrites the SavedModel with its classifier's weights (the float matrix with one
	 * column per label) multiplied by {@code factor}: other weights, the same structure.
	 */
	private static void scaleClassifier(Path file, float factor) throws IOException {
		SavedModel.Builder model = SavedModel.parseFrom(Files.readAllBytes(file)).toBuilder();
		List<NodeDef.Builder> classifiers = model.getMetaGraphsBuilder(0)
			.getGraphDefBuilder()
			.getNodeBuilderList()
			.stream()
			.filter((node) -> {
				TensorProto tensor = node.getAttrOrDefault("value", AttrValue.getDefaultInstance()).getTensor();
				return node.getOp().equals("Const") && tensor.getDtype() == DataType.DT_FLOAT
						&& tensor.getTensorShape().getDimCount() == 2
						&& tensor.getTensorShape().getDim(1).getSize() == DefaultModel.descriptor().labels().size()
						&& tensor.getTensorShape().getDim(0).getSize() > 2 && !tensor.getTensorContent().isEmpty();
			})
			.toList();
		assertThat(classifiers).as("the classifier's weights").hasSize(1);
		NodeDef.Builder classifier = classifiers.get(0);
		TensorProto tensor = classifier.getAttrOrThrow("value").getTensor();
		ByteBuffer values = tensor.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
		ByteBuffer scaled = ByteBuffer.allocate(values.remaining()).order(ByteOrder.LITTLE_ENDIAN);
		while (values.hasRemaining()) {
			scaled.putFloat(values.getFloat() * factor);
		}
		classifier.putAttr("value",
				AttrValue.newBuilder()
					.setTensor(tensor.toBuilder().setTensorContent(ByteString.copyFrom(scaled.array())))
					.build());
		Files.delete(file);
		Files.write(file, model.build().toByteArray());
	}

}
