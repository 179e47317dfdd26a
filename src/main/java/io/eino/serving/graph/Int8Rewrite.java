package io.eino.serving.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 * with a constant fp32 weight {@code [K, N]}, and the {@code BiasAdd} of a constant that
 * follows it, become one {@code _QuantizedMatMul}: oneDNN's int8 product with
 * per-output-channel weight scales and the bias and the scaling back to fp32 fused in
 * (TensorFlow's own op, the one Intel's quantisation tools emit). Its input is quantised
 * at every run over the range the batch takes ({@code Min}, {@code Max},
 * {@code QuantizeV2}), once for all the products that read it. With calibrated
 * {@link ActivationRanges} each input's channels are first smoothed and a GELU's output
 * is lifted to unsigned ({@link Int8Weights}). The product keeps the name of the node it
 * replaces, so everything downstream is unchanged. The startup step keeps the result only
 * when it passes the accuracy gate and is faster. Hand-written: TensorFlow's quantisation
 * tools are Python-only.
 */
public final class Int8Rewrite {

	/** Products smaller than this (the classifier head, say) stay fp32. */
	private static final long MIN_WEIGHTS = 64 * 64;

	/** How far below zero a GELU's output reaches (its minimum is −0.16997). */
	static final float GELU_FLOOR = 0.17f;

	private Int8Rewrite() {
	}

	/**
	 * The rewritten graph, how many products it quantised, and how many of their inputs
	 * it smoothed and lifted.
	 */
	public record Result(GraphDef graph, int products, int smoothed, int lifted) {

		/** What the rewrite did, for the report. */
		public String describe() {
			return this.products + " weight products in int8 (" + this.smoothed + " inputs smoothed, " + this.lifted
					+ " GELU outputs lifted)";
		}

	}

	/** The tensors the quantisable products of {@code graph} read, each once. */
	public static List<String> productInputs(GraphDef graph) {
		Map<String, NodeDef> nodes = index(graph);
		Set<String> inputs = new LinkedHashSet<>();
		graph.getNodeList()
			.stream()
			.filter((node) -> quantisable(node, nodes) != null)
			.forEach((node) -> inputs.add(node.getInput(0)));
		return List.copyOf(inputs);
	}

	/** Quantises every eligible product of {@code graph} (a frozen graph). */
	public static Result rewrite(GraphDef graph, ActivationRanges ranges) {
		Map<String, NodeDef> nodes = index(graph);
		Map<String, Integer> uses = new HashMap<>();
		graph.getNodeList()
			.forEach((node) -> node.getInputList()
				.forEach((input) -> uses.merge(GraphIndex.nodeName(input), 1, Integer::sum)));
		Map<String, NodeDef> products = new LinkedHashMap<>();
		Map<String, float[]> rowMaxima = new HashMap<>();
		for (NodeDef node : graph.getNodeList()) {
			NodeDef weight = quantisable(node, nodes);
			if (weight != null) {
				products.put(node.getName(), weight);
				long[] shape = shape(weight);
				Int8Weights.rowMaxima(GraphIndex.floats(weight), (int) shape[1],
						rowMaxima.computeIfAbsent(node.getInput(0), (input) -> new float[(int) shape[0]]));
			}
		}
		// The bias added right after a product, where the product has no other use.
		Map<String, NodeDef> biasAdds = new HashMap<>();
		for (NodeDef node : graph.getNodeList()) {
			String product = node.getOp().equals("BiasAdd") ? GraphIndex.nodeName(node.getInput(0)) : null;
			NodeDef bias = (product != null) ? nodes.get(node.getInput(1)) : null;
			if (products.containsKey(product) && uses.get(product) == 1 && bias != null
					&& bias.getOp().equals("Const")) {
				biasAdds.put(product, node);
			}
		}
		Set<String> quantisedInputs = new HashSet<>();
		int smoothed = 0;
		int lifted = 0;
		GraphDef.Builder rewritten = graph.toBuilder().clearNode();
		for (NodeDef node : graph.getNodeList()) {
			boolean product = products.containsKey(node.getName());
			String folded = product ? null : folded(node, biasAdds);
			if (product && biasAdds.containsKey(node.getName())) {
				continue; // emitted in place of its BiasAdd
			}
			if (!product && folded == null) {
				rewritten.addNode(node);
				continue;
			}
			NodeDef matMul = product ? node : nodes.get(folded);
			String x = matMul.getInput(0);
			float lift = geluOutput(x, nodes) ? GELU_FLOOR : 0;
			float[] activations = ranges.of(x);
			// Ranges measured on another graph (a different channel count) are not used.
			float[] smoothing = (activations != null && activations.length == rowMaxima.get(x).length)
					? Int8Weights.smoothing(activations, rowMaxima.get(x)) : null;
			String quantised = Int8Input.name(x);
			if (quantisedInputs.add(quantised)) {
				Int8Input.emit(x, quantised, smoothing, lift, matMul.getDevice(), rewritten);
				smoothed += (smoothing != null) ? 1 : 0;
				lifted += (lift > 0) ? 1 : 0;
			}
			NodeDef weight = products.get(matMul.getName());
			long[] shape = shape(weight);
			float[] bias = product ? null : GraphIndex.floats(nodes.get(node.getInput(1)));
			Int8Weights weights = Int8Weights.of(GraphIndex.floats(weight), (int) shape[0], (int) shape[1], smoothing,
					bias, lift);
			Int8Input.product(node.getName(), quantised, lift > 0, weights, shape, matMul.getDevice(), rewritten);
		}
		return new Result(rewritten.build(), products.size(), smoothed, lifted);
	}

	/** The product whose bias {@code node} adds, when the two are fused; else null. */
	private static String folded(NodeDef node, Map<String, NodeDef> biasAdds) {
		if (!node.getOp().equals("BiasAdd")) {
			return null;
		}
		String product = GraphIndex.nodeName(node.getInput(0));
		return (biasAdds.get(product) == node) ? product : null;
	}

	/**
	 * Whether {@code tensor} is a GELU's output: a {@code Mul} with an {@code Erf} or
	 * {@code Tanh} among its close ancestors. A product of another form that went below
	 * {@code −GELU_FLOOR} would be clipped there; the accuracy gate checks the result.
	 */
	static boolean geluOutput(String tensor, Map<String, NodeDef> nodes) {
		NodeDef node = nodes.get(GraphIndex.nodeName(tensor));
		return node != null && node.getOp().equals("Mul") && reaches(node, nodes, 4);
	}

	private static boolean reaches(NodeDef node, Map<String, NodeDef> nodes, int depth) {
		if (node.getOp().equals("Erf") || node.getOp().equals("Tanh")) {
			return true;
		}
		if (depth == 0) {
			return false;
		}
		for (String input : node.getInputList()) {
			NodeDef parent = nodes.get(GraphIndex.nodeName(input));
			if (parent != null && reaches(parent, nodes, depth - 1)) {
				return true;
			}
		}
		return false;
	}

	private static Map<String, NodeDef> index(GraphDef graph) {
		Map<String, NodeDef> nodes = new HashMap<>();
		graph.getNodeList().forEach((node) -> nodes.put(node.getName(), node));
		return nodes;
	}

	private static long[] shape(NodeDef weight) {
		TensorShapeProto shape = weight.getAttrOrThrow("value").getTensor().getTensorShape();
		return new long[] { shape.getDim(0).getSize(), shape.getDim(1).getSize() };
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

	static NodeDef reduce(String name, String op, String input, String axes, String device) {
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

	static NodeDef binary(String name, String op, String left, String right, String device) {
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

	static byte[] ints(int... values) {
		ByteBuffer buffer = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
		for (int value : values) {
			buffer.putInt(value);
		}
		return buffer.array();
	}

	static AttrValue typeAttr(DataType type) {
		return AttrValue.newBuilder().setType(type).build();
	}

	static AttrValue text(String value) {
		return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(value)).build();
	}

	private static DataType type(NodeDef node, String attribute) {
		return node.getAttrOrDefault(attribute, AttrValue.getDefaultInstance()).getType();
	}

	private static boolean flag(NodeDef node, String attribute) {
		return node.getAttrOrDefault(attribute, AttrValue.getDefaultInstance()).getB();
	}

}
