package io.eino.serving.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

import com.google.protobuf.ByteString;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Dynamic int8 quantisation of a frozen graph's weight products, for oneDNN's VNNI
 * kernels (docs/engine.md, "Reduced precision"). Every {@code MatMul} of an activation
 * with a constant fp32 weight {@code [K, N]} becomes:
 * <ul>
 * <li>weights quantised once, per output channel: {@code Wq = round(127 · W / s)},
 * {@code s[n] = max |W[·, n]|};</li>
 * <li>activations quantised at every run over their own range: {@code x − min(x)} is
 * non-negative and goes to uint8 ({@code QuantizeV2});</li>
 * <li>{@code QuantizedMatMulWithBiasAndDequantize} (oneDNN's u8 × s8 product, which
 * TensorFlow's layout pass puts in place) returns fp32, which is scaled back per channel
 * and given back the shift: {@code y = s ⊙ (x̂ · Ŵq) + min(x) · Σ_k W}.</li>
 * </ul>
 * The node keeps its name, so everything downstream (bias, GELU) is unchanged. The
 * startup step keeps the result only when it passes the accuracy gate and is faster.
 * Hand-written: TensorFlow's quantisation tools are Python-only.
 */
public final class Int8Rewrite {

	/** Products smaller than this (the classifier head, say) stay fp32. */
	private static final long MIN_WEIGHTS = 64 * 64;

	private Int8Rewrite() {
	}

	/** The rewritten graph and how many products it quantised. */
	public record Result(GraphDef graph, int products) {
	}

	/** Quantises every eligible product of {@code graph} (a frozen graph). */
	public static Result rewrite(GraphDef graph) {
		Map<String, NodeDef> nodes = new HashMap<>();
		graph.getNodeList().forEach((node) -> nodes.put(node.getName(), node));
		GraphDef.Builder rewritten = graph.toBuilder().clearNode();
		int products = 0;
		for (NodeDef node : graph.getNodeList()) {
			NodeDef weight = quantisable(node, nodes);
			if (weight == null) {
				rewritten.addNode(node);
				continue;
			}
			quantise(node, weight, rewritten);
			products++;
		}
		return new Result(rewritten.build(), products);
	}

	/** The constant weight of a plain fp32 {@code MatMul}, or null. */
	private static NodeDef quantisable(NodeDef node, Map<String, NodeDef> nodes) {
		if (!node.getOp().equals("MatMul") || node.getInputCount() != 2 || type(node, "T") != DataType.DT_FLOAT
				|| flag(node, "transpose_a") || flag(node, "transpose_b")) {
			return null;
		}
		NodeDef weight = nodes.get(node.getInput(1));
		if (weight == null || !weight.getOp().equals("Const")) {
			return null;
		}
		TensorProto value = weight.getAttrOrThrow("value").getTensor();
		boolean matrix = value.getDtype() == DataType.DT_FLOAT && value.getTensorShape().getDimCount() == 2
				&& !value.getTensorContent().isEmpty();
		return (matrix && value.getTensorShape().getDim(0).getSize()
				* value.getTensorShape().getDim(1).getSize() >= MIN_WEIGHTS) ? weight : null;
	}

	private static void quantise(NodeDef product, NodeDef weight, GraphDef.Builder graph) {
		TensorProto value = weight.getAttrOrThrow("value").getTensor();
		int rows = (int) value.getTensorShape().getDim(0).getSize();
		int columns = (int) value.getTensorShape().getDim(1).getSize();
		float[] weights = GraphIndex.floats(weight);
		float[] scale = new float[columns];
		for (int i = 0; i < weights.length; i++) {
			scale[i % columns] = Math.max(scale[i % columns], Math.abs(weights[i]));
		}
		byte[] quantised = new byte[weights.length];
		float[] columnSums = new float[columns];
		for (int i = 0; i < weights.length; i++) {
			int column = i % columns;
			float s = (scale[column] > 0) ? scale[column] : 1;
			int q = Math.round(127 * weights[i] / s);
			quantised[i] = (byte) q;
			columnSums[column] += q * s / 127;
		}
		String name = product.getName();
		String scope = name + "/int8/";
		String x = product.getInput(0);
		String device = product.getDevice();
		graph.addNode(constant(scope + "axes", DataType.DT_INT32, new long[] { 2 }, ints(0, 1), device));
		graph.addNode(reduce(scope + "min", "Min", x, scope + "axes", device));
		graph.addNode(reduce(scope + "max", "Max", x, scope + "axes", device));
		graph.addNode(binary(scope + "shifted", "Sub", x, scope + "min", device));
		graph.addNode(binary(scope + "range", "Sub", scope + "max", scope + "min", device));
		graph.addNode(constant(scope + "zero", DataType.DT_FLOAT, new long[0], floats(0), device));
		graph.addNode(NodeDef.newBuilder()
			.setName(scope + "x")
			.setOp("QuantizeV2")
			.setDevice(device)
			.addInput(scope + "shifted")
			.addInput(scope + "zero")
			.addInput(scope + "range")
			.putAttr("T", typeAttr(DataType.DT_QUINT8))
			.putAttr("mode", text("MIN_FIRST")));
		graph.addNode(constant(scope + "w", DataType.DT_QINT8, new long[] { rows, columns }, quantised, device));
		graph.addNode(constant(scope + "w_min", DataType.DT_FLOAT, new long[0], floats(-1), device));
		graph.addNode(constant(scope + "w_max", DataType.DT_FLOAT, new long[0], floats(1), device));
		graph.addNode(constant(scope + "no_bias", DataType.DT_FLOAT, new long[] { columns }, floats(new float[columns]),
				device));
		graph.addNode(NodeDef.newBuilder()
			.setName(scope + "product")
			.setOp("QuantizedMatMulWithBiasAndDequantize")
			.setDevice(device)
			.addInput(scope + "x")
			.addInput(scope + "w")
			.addInput(scope + "no_bias")
			.addInput(scope + "x:1")
			.addInput(scope + "x:2")
			.addInput(scope + "w_min")
			.addInput(scope + "w_max")
			.addInput(scope + "w_min")
			.addInput(scope + "w_max")
			.putAttr("T1", typeAttr(DataType.DT_QUINT8))
			.putAttr("T2", typeAttr(DataType.DT_QINT8))
			.putAttr("Tbias", typeAttr(DataType.DT_FLOAT))
			.putAttr("Toutput", typeAttr(DataType.DT_FLOAT))
			.putAttr("input_quant_mode", text("MIN_FIRST")));
		graph.addNode(constant(scope + "scale", DataType.DT_FLOAT, new long[] { columns }, floats(scale), device));
		graph.addNode(binary(scope + "scaled", "Mul", scope + "product", scope + "scale", device));
		graph.addNode(
				constant(scope + "column_sums", DataType.DT_FLOAT, new long[] { columns }, floats(columnSums), device));
		graph.addNode(binary(scope + "shift", "Mul", scope + "min", scope + "column_sums", device));
		graph.addNode(binary(name, "AddV2", scope + "scaled", scope + "shift", device));
	}

	private static NodeDef reduce(String name, String op, String input, String axes, String device) {
		return NodeDef.newBuilder()
			.setName(name)
			.setOp(op)
			.setDevice(device)
			.addInput(input)
			.addInput(axes)
			.putAttr("T", typeAttr(DataType.DT_FLOAT))
			.putAttr("Tidx", typeAttr(DataType.DT_INT32))
			.putAttr("keep_dims", AttrValue.newBuilder().setB(false).build())
			.build();
	}

	private static NodeDef binary(String name, String op, String left, String right, String device) {
		return NodeDef.newBuilder()
			.setName(name)
			.setOp(op)
			.setDevice(device)
			.addInput(left)
			.addInput(right)
			.putAttr("T", typeAttr(DataType.DT_FLOAT))
			.build();
	}

	/**
	 * A {@code Const} node holding {@code bytes} (little-endian elements of {@code type},
	 * row-major), as this rewrite and {@link FrozenGraph} put constants into a graph.
	 */
	static NodeDef constant(String name, DataType type, long[] dims, byte[] bytes, String device) {
		TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
		for (long size : dims) {
			shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(size));
		}
		TensorProto tensor = TensorProto.newBuilder()
			.setDtype(type)
			.setTensorShape(shape)
			.setTensorContent(ByteString.copyFrom(bytes))
			.build();
		return NodeDef.newBuilder()
			.setName(name)
			.setOp("Const")
			.setDevice(device)
			.putAttr("dtype", typeAttr(type))
			.putAttr("value", AttrValue.newBuilder().setTensor(tensor).build())
			.build();
	}

	/** Little-endian bytes of {@code values}, as a {@code Const}'s tensor content. */
	static byte[] floats(float... values) {
		ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
		for (float value : values) {
			buffer.putFloat(value);
		}
		return buffer.array();
	}

	private static byte[] ints(int... values) {
		ByteBuffer buffer = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
		for (int value : values) {
			buffer.putInt(value);
		}
		return buffer.array();
	}

	private static AttrValue typeAttr(DataType type) {
		return AttrValue.newBuilder().setType(type).build();
	}

	private static AttrValue text(String value) {
		return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(value)).build();
	}

	private static DataType type(NodeDef node, String attribute) {
		return node.getAttrOrDefault(attribute, AttrValue.getDefaultInstance()).getType();
	}

	private static boolean flag(NodeDef node, String attribute) {
		return node.getAttrOrDefault(attribute, AttrValue.getDefaultInstance()).getB();
	}

}
