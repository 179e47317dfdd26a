package io.eino.serving.importer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;

import io.eino.serving.TestTags;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link OnnxFusions} on small hand-built ONNX graphs: the decomposed chains are
 * replaced, and a chain is left alone when a constant is not the function's or an
 * intermediate value is used elsewhere. (The whole default model, fused and translated,
 * is checked against ONNX Runtime by {@link OnnxImporterParityTest}.)
 */
@Tag(TestTags.TENSORFLOW)
class OnnxFusionsTest {

	@Test
	void geluChainBecomesOneGeluNode() {
		Map<String, Integer> fused = new TreeMap<>();
		GraphProto graph = OnnxFusions.fuse(gelu(1.4142f, false), fused);
		assertThat(fused).containsExactly(Map.entry("Gelu", 1));
		assertThat(graph.getNodeList()).extracting(NodeProto::getOpType).containsExactly("Gelu");
		assertThat(graph.getNode(0).getInputList()).containsExactly("x");
		assertThat(graph.getNode(0).getOutputList()).containsExactly("y");
	}

	@Test
	void geluChainWithAnotherConstantOrAnOutsideUseIsKept() {
		Map<String, Integer> fused = new TreeMap<>();
		assertThat(OnnxFusions.fuse(gelu(1.3f, false), fused).getNodeCount()).isEqualTo(5);
		assertThat(OnnxFusions.fuse(gelu(1.4142f, true), fused).getNodeCount()).isEqualTo(5);
		assertThat(fused).isEmpty();
	}

	@Test
	void layerNormChainBecomesOneLayerNormalizationWithItsEpsilon() {
		Map<String, Integer> fused = new TreeMap<>();
		GraphProto graph = OnnxFusions.fuse(layerNorm(-1), fused);
		assertThat(fused).containsExactly(Map.entry("LayerNormalization", 1));
		NodeProto node = graph.getNode(0);
		assertThat(node.getOpType()).isEqualTo("LayerNormalization");
		assertThat(node.getInputList()).containsExactly("x", "gamma", "beta");
		assertThat(node.getAttributeList()).filteredOn((a) -> a.getName().equals("epsilon"))
			.extracting(AttributeProto::getF)
			.containsExactly(1e-12f);
	}

	@Test
	void layerNormOverAnotherAxisIsKept() {
		Map<String, Integer> fused = new TreeMap<>();
		assertThat(OnnxFusions.fuse(layerNorm(1), fused).getNodeCount()).isEqualTo(9);
		assertThat(fused).isEmpty();
	}

	/** {@code Mul(Mul(x, Add(Erf(Div(x, root)), 1)), 0.5)}. */
	private static GraphProto gelu(float root, boolean erfIsAlsoAnOutput) {
		GraphProto.Builder graph = GraphProto.newBuilder()
			.addInitializer(scalar("root", root))
			.addInitializer(scalar("one", 1))
			.addInitializer(scalar("half", 0.5f))
			.addNode(node("Div", "d", "x", "root"))
			.addNode(node("Erf", "e", "d"))
			.addNode(node("Add", "a", "e", "one"))
			.addNode(node("Mul", "m", "x", "a"))
			.addNode(node("Mul", "y", "m", "half"))
			.addOutput(ValueInfoProto.newBuilder().setName("y"));
		if (erfIsAlsoAnOutput) {
			graph.addOutput(ValueInfoProto.newBuilder().setName("e"));
		}
		return graph.build();
	}

	/** The exporters' LayerNorm chain, its means over {@code axis}. */
	private static GraphProto layerNorm(long axis) {
		return GraphProto.newBuilder()
			.addInitializer(scalar("two", 2))
			.addInitializer(scalar("epsilon", 1e-12f))
			.addInitializer(vector("gamma"))
			.addInitializer(vector("beta"))
			.addNode(mean("mu", "x", axis))
			.addNode(node("Sub", "c", "x", "mu"))
			.addNode(node("Pow", "p", "c", "two"))
			.addNode(mean("v", "p", axis))
			.addNode(node("Add", "ve", "v", "epsilon"))
			.addNode(node("Sqrt", "s", "ve"))
			.addNode(node("Div", "n", "c", "s"))
			.addNode(node("Mul", "g", "n", "gamma"))
			.addNode(node("Add", "y", "g", "beta"))
			.addOutput(ValueInfoProto.newBuilder().setName("y"))
			.build();
	}

	private static NodeProto node(String op, String output, String... inputs) {
		NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(output).addOutput(output);
		for (String input : inputs) {
			node.addInput(input);
		}
		return node.build();
	}

	private static NodeProto mean(String output, String input, long axis) {
		return node("ReduceMean", output, input).toBuilder()
			.addAttribute(AttributeProto.newBuilder()
				.setName("axes")
				.setType(AttributeProto.AttributeType.INTS)
				.addInts(axis))
			.build();
	}

	private static TensorProto scalar(String name, float value) {
		return TensorProto.newBuilder()
			.setName(name)
			.setDataType(TensorProto.DataType.FLOAT_VALUE)
			.setRawData(ByteString
				.copyFrom(ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array()))
			.build();
	}

	private static TensorProto vector(String name) {
		return TensorProto.newBuilder()
			.setName(name)
			.setDataType(TensorProto.DataType.FLOAT_VALUE)
			.addDims(4)
			.setRawData(ByteString.copyFrom(new byte[16]))
			.build();
	}

}
