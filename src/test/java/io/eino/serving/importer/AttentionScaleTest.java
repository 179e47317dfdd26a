package io.eino.serving.importer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;

import io.eino.serving.TestTags;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AttentionScale} on small hand-built attention graphs: the division of the scores
 * goes into the query's weight and bias, and nothing is folded when a value on the way is
 * read elsewhere. (On the default model, {@link OnnxImporterParityTest} checks the folded
 * graph against ONNX Runtime.)
 */
@Tag(TestTags.TENSORFLOW)
class AttentionScaleTest {

	@Test
	void divisionOfTheScoresMovesIntoTheQueryWeightAndBias() {
		Map<String, Integer> fused = new TreeMap<>();
		GraphProto graph = AttentionScale.fold(attention("Div", 4f, false), fused);
		assertThat(fused).containsExactly(Map.entry("AttentionScale", 1));
		assertThat(graph.getNodeList()).extracting(NodeProto::getOpType)
			.containsExactly("MatMul", "Add", "Shape", "Reshape", "Transpose", "MatMul", "Softmax");
		// The scores keep the division's name, so its consumer reads them unchanged.
		assertThat(graph.getNode(5).getOutputList()).containsExactly("scaled");
		assertThat(floats(graph, "w")).containsExactly(0.5f, -0.25f, 2f, 0f);
		assertThat(floats(graph, "b")).containsExactly(0.75f, 1f);
	}

	@Test
	void multiplicationByTheReciprocalFoldsTheSame() {
		Map<String, Integer> fused = new TreeMap<>();
		GraphProto graph = AttentionScale.fold(attention("Mul", 0.25f, false), fused);
		assertThat(fused).containsExactly(Map.entry("AttentionScale", 1));
		assertThat(floats(graph, "w")).containsExactly(0.5f, -0.25f, 2f, 0f);
	}

	@Test
	void queryReadElsewhereIsNotFolded() {
		Map<String, Integer> fused = new TreeMap<>();
		GraphProto source = attention("Div", 4f, true);
		GraphProto graph = AttentionScale.fold(source, fused);
		assertThat(fused).isEmpty();
		assertThat(graph).isEqualTo(source);
	}

	/**
	 * {@code Softmax(Div(MatMul(Transpose(Reshape(Add(b, MatMul(x, w)))), k), c))}, the
	 * query also read by a Shape node (as exporters do), and by a graph output when
	 * {@code queryIsAnOutput}.
	 */
	private static GraphProto attention(String scaling, float constant, boolean queryIsAnOutput) {
		GraphProto.Builder graph = GraphProto.newBuilder()
			.addInitializer(tensor("w", new long[] { 2, 2 }, 2f, -1f, 8f, 0f))
			.addInitializer(tensor("b", new long[] { 2 }, 3f, 4f))
			.addInitializer(tensor("c", new long[0], constant))
			.addNode(node("MatMul", "xw", "x", "w"))
			.addNode(node("Add", "q", "b", "xw"))
			.addNode(node("Shape", "qs", "q"))
			.addNode(node("Reshape", "qr", "q", "shape"))
			.addNode(node("Transpose", "qt", "qr"))
			.addNode(node("MatMul", "scores", "qt", "k"))
			.addNode(node(scaling, "scaled", "scores", "c"))
			.addNode(node("Softmax", "y", "scaled"))
			.addOutput(ValueInfoProto.newBuilder().setName("y"));
		if (queryIsAnOutput) {
			graph.addOutput(ValueInfoProto.newBuilder().setName("q"));
		}
		return graph.build();
	}

	private static NodeProto node(String op, String output, String... inputs) {
		NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(output).addOutput(output);
		for (String input : inputs) {
			node.addInput(input);
		}
		return node.build();
	}

	private static TensorProto tensor(String name, long[] dims, float... values) {
		ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
		for (float value : values) {
			bytes.putFloat(value);
		}
		TensorProto.Builder tensor = TensorProto.newBuilder()
			.setName(name)
			.setDataType(TensorProto.DataType.FLOAT_VALUE)
			.setRawData(ByteString.copyFrom(bytes.array()));
		for (long dim : dims) {
			tensor.addDims(dim);
		}
		return tensor.build();
	}

	private static float[] floats(GraphProto graph, String name) {
		TensorProto tensor = graph.getInitializerList()
			.stream()
			.filter((initializer) -> initializer.getName().equals(name))
			.findFirst()
			.orElseThrow();
		ByteBuffer bytes = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
		float[] values = new float[bytes.remaining() / Float.BYTES];
		for (int i = 0; i < values.length; i++) {
			values[i] = bytes.getFloat();
		}
		return values;
	}

}
