package io.eino.serving.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.eino.serving.TestTags;
import io.eino.serving.graph.GraphOptimization;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The graph a frozen session runs after Grappler and TensorFlow's graph passes, captured,
 * made importable and opened again without optimising ({@link OptimisedGraph}).
 */
@Tag(TestTags.TENSORFLOW)
class OptimisedGraphTest {

	@TempDir
	Path work;

	private static final HostTensor.Float32 TWO_ROWS = new HostTensor.Float32(new long[] { 2, 3 },
			new float[] { 1, -2, 0.5f, 0, 1, 1 });

	private static final HostTensor.Float32 THREE_ROWS = new HostTensor.Float32(new long[] { 3, 3 },
			new float[] { 3, 0, -1, 0.25f, 2, -4, 1, 1, 1 });

	@Test
	void theCapturedGraphIsTheOptimisedOneAndAnswersAsTheSessionDid() throws Exception {
		Path model = export();
		try (SavedModelRunner optimised = SavedModelRunner.load(model, SessionSettings.DEFAULT)) {
			StringBuilder why = new StringBuilder();
			OptimisedGraph.Captured captured = OptimisedGraph.capture(optimised, Map.of("x", TWO_ROWS), why);
			assertThat(captured).as(why.toString()).isNotNull();
			GraphDef graph = captured.graph().getGraphDef();
			assertThat(ops(graph)).doesNotContainKeys("_Arg", "_Retval").containsEntry("Placeholder", 1);
			// Grappler's remapper fused the product, its bias and the ReLU: the graph as
			// imported has none of them fused.
			assertThat(ops(graph).keySet()).noneMatch((op) -> op.equals("MatMul") || op.equals("Relu"));
			assertThat(graph.getNodeList()).allMatch((node) -> node.getDevice().isEmpty());
			assertThat(captured.graph().getSignatureDefMap()).containsOnlyKeys("serving_default");
			assertThat(captured.outputs()).containsOnlyKeys("y", "total");

			try (SavedModelRunner reopened = OptimisedGraph.open(model, captured.graph(), SessionSettings.DEFAULT)) {
				assertThat(reopened.frozen()).isTrue();
				assertThat(OptimisedGraph.difference(captured.outputs(), outputs(reopened, TWO_ROWS))).isZero();
				// Not specialised to the batch it was captured with.
				assertThat(OptimisedGraph.difference(outputs(optimised, THREE_ROWS), outputs(reopened, THREE_ROWS)))
					.isZero();
				// Opened again, nothing rewrites it: the session runs the graph as
				// stored.
				OptimisedGraph.Captured again = OptimisedGraph.capture(reopened, Map.of("x", TWO_ROWS), why);
				assertThat(ops(again.graph().getGraphDef())).isEqualTo(ops(graph));
			}
		}
	}

	@Test
	void aSessionServedAsLoadedIsNotCaptured() throws Exception {
		try (SavedModelRunner asLoaded = SavedModelRunner.load(export(),
				SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false))) {
			StringBuilder why = new StringBuilder();
			assertThat(OptimisedGraph.capture(asLoaded, Map.of("x", TWO_ROWS), why)).isNull();
			assertThat(why).hasToString("the graph is served as loaded");
		}
	}

	@Test
	void aProbeThatDoesNotFeedTheSignaturesInputsIsNotCaptured() throws Exception {
		try (SavedModelRunner optimised = SavedModelRunner.load(export(), SessionSettings.DEFAULT)) {
			StringBuilder why = new StringBuilder();
			assertThat(OptimisedGraph.capture(optimised, Map.of("input_ids", TWO_ROWS), why)).isNull();
			assertThat(why).hasToString("the probe feeds [input_ids], the signature takes [x]");
		}
	}

	@Test
	void feedsBecomeTheirPlaceholdersByNameAndFetchesGo() {
		// TensorFlow's _Arg index counts feeds in an order of its own: the name decides.
		GraphDef partition = GraphDef.newBuilder()
			.addNode(arg("_arg_mask_0_0", 1))
			.addNode(arg("_arg_ids_0_1", 0))
			.addNode(NodeDef.newBuilder()
				.setName("sum")
				.setOp("AddV2")
				.setDevice("/job:localhost/replica:0/task:0/device:CPU:0")
				.addInput("_arg_ids_0_1")
				.addInput("_arg_mask_0_0:0")
				.addInput("^_arg_ids_0_1"))
			.addNode(NodeDef.newBuilder().setName("_retval_sum_0_0").setOp("_Retval").addInput("sum"))
			.build();
		StringBuilder why = new StringBuilder();
		GraphDef graph = OptimisedGraph.importable(partition, List.of("ids", "mask"), why);
		assertThat(graph).as(why.toString()).isNotNull();
		assertThat(graph.getNodeList()).extracting(NodeDef::getName).containsExactly("mask", "ids", "sum");
		assertThat(graph.getNode(1).getOp()).isEqualTo("Placeholder");
		assertThat(graph.getNode(1).getAttrMap()).containsOnlyKeys("dtype");
		assertThat(graph.getNode(2).getInputList()).containsExactly("ids", "mask:0", "^ids");
		assertThat(graph.getNode(2).getDevice()).isEmpty();
	}

	@Test
	void aGraphWithDeviceCopiesOrAnUnknownFeedIsNotImportable() {
		StringBuilder why = new StringBuilder();
		GraphDef copies = GraphDef.newBuilder()
			.addNode(arg("_arg_ids_0_0", 0))
			.addNode(NodeDef.newBuilder().setName("send").setOp("_Send").addInput("_arg_ids_0_0"))
			.build();
		assertThat(OptimisedGraph.importable(copies, List.of("ids"), why)).isNull();
		assertThat(why).hasToString("the graph holds _Send nodes");
		why.setLength(0);
		assertThat(OptimisedGraph.importable(copies, List.of("other"), why)).isNull();
		assertThat(why.toString()).contains("_arg_ids_0_0 names no input");
	}

	@Test
	void differencesCountNaNOnlyAgainstNaNAndShapesExactly() {
		HostTensor.Float32 a = new HostTensor.Float32(new long[] { 2 }, new float[] { Float.NaN, 1 });
		HostTensor.Float32 b = new HostTensor.Float32(new long[] { 2 }, new float[] { Float.NaN, 1.5f });
		HostTensor.Float32 c = new HostTensor.Float32(new long[] { 2 }, new float[] { 0, 1 });
		HostTensor.Float32 reshaped = new HostTensor.Float32(new long[] { 1, 2 }, new float[] { Float.NaN, 1 });
		assertThat(OptimisedGraph.difference(Map.of("y", a), Map.of("y", b))).isEqualTo(0.5);
		assertThat(OptimisedGraph.difference(Map.of("y", a), Map.of("y", c))).isInfinite();
		assertThat(OptimisedGraph.difference(Map.of("y", a), Map.of("y", reshaped))).isInfinite();
		assertThat(OptimisedGraph.difference(Map.of("y", a), Map.of("z", a))).isInfinite();
	}

	private static NodeDef arg(String name, int index) {
		return NodeDef.newBuilder()
			.setName(name)
			.setOp("_Arg")
			.putAttr("T", AttrValue.newBuilder().setType(org.tensorflow.proto.DataType.DT_INT64).build())
			.putAttr("index", AttrValue.newBuilder().setI(index).build())
			.build();
	}

	private static Map<String, Integer> ops(GraphDef graph) {
		Map<String, Integer> ops = new TreeMap<>();
		graph.getNodeList().forEach((node) -> ops.merge(node.getOp(), 1, Integer::sum));
		return ops;
	}

	private static Map<String, HostTensor> outputs(SavedModelRunner runner, HostTensor x) {
		return runner.run("serving_default", Map.of("x", x), List.of("y", "total"));
	}

	private Path export() throws Exception {
		return DenseModel.export(this.work.resolve("dense"));
	}

}
