package io.eino.serving.importer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;

/**
 * A rewrite of the ONNX graph before translation: attention's scaling of its scores,
 * {@code Div(MatMul(Q, Kᵀ), √d)}, is folded into the query projection's weight and bias
 * (docs/engine.md, "Graph rewrites"). The division ran on every score of every head,
 * {@code [batch, heads, sequence, sequence]}, on every run; the folded weights cost
 * nothing at run time.
 *
 * <p>
 * The fold holds because everything between the projection and the scores is linear:
 * {@code Q = Transpose(Reshape(Add(b, MatMul(x, W))))}, so {@code Q/c} is the same chain
 * with {@code W/c} and {@code b/c}. It is made only when each value on the way feeds
 * nothing else but {@code Shape} nodes (whose result the scale does not change), none is
 * a graph output, and the weight and bias are fp32 initializers used there only.
 * Hand-written: no maintained Java library rewrites ONNX graphs.
 */
final class AttentionScale {

	private static final Set<String> LINEAR_MOVES = Set.of("Transpose", "Reshape");

	private final Map<String, NodeProto> producers = new HashMap<>();

	private final Map<String, List<NodeProto>> consumers = new HashMap<>();

	private final Map<String, TensorProto> initializers = new HashMap<>();

	private final Map<String, OnnxTensor> constants = new HashMap<>();

	private final Set<String> graphOutputs = new HashSet<>();

	private AttentionScale(GraphProto graph) {
		graph.getInitializerList().forEach((initializer) -> this.initializers.put(initializer.getName(), initializer));
		this.constants.putAll(OnnxFusions.constants(graph));
		for (NodeProto node : graph.getNodeList()) {
			node.getOutputList().forEach((output) -> this.producers.put(output, node));
			node.getInputList()
				.forEach((input) -> this.consumers.computeIfAbsent(input, (k) -> new ArrayList<>()).add(node));
		}
		graph.getOutputList().stream().map(ValueInfoProto::getName).forEach(this.graphOutputs::add);
	}

	/**
	 * The graph with every foldable scaling of attention scores folded into its query
	 * projection.
	 * @param graph the graph (after {@link OnnxFusions})
	 * @param fused counts the folds under {@code AttentionScale}
	 */
	static GraphProto fold(GraphProto graph, Map<String, Integer> fused) {
		AttentionScale scale = new AttentionScale(graph);
		Map<String, TensorProto> scaled = new HashMap<>();
		Map<NodeProto, NodeProto> replaced = new HashMap<>();
		Set<NodeProto> removed = new HashSet<>();
		for (NodeProto node : graph.getNodeList()) {
			OptionalDouble divisor = scale.divisor(node);
			if (divisor.isEmpty()) {
				continue;
			}
			NodeProto scores = scale.sole(node.getInput(0), "MatMul");
			Projection projection = (scores != null) ? scale.projection(scores.getInput(0)) : null;
			if (projection == null || scaled.containsKey(projection.weight())
					|| scaled.containsKey(projection.bias())) {
				continue;
			}
			scaled.put(projection.weight(), scale.divided(projection.weight(), divisor.getAsDouble()));
			scaled.put(projection.bias(), scale.divided(projection.bias(), divisor.getAsDouble()));
			// The scores now come out already scaled, under the division's name.
			replaced.put(scores, scores.toBuilder().setOutput(0, node.getOutput(0)).build());
			removed.add(node);
			fused.merge("AttentionScale", 1, Integer::sum);
		}
		if (removed.isEmpty()) {
			return graph;
		}
		List<NodeProto> nodes = new ArrayList<>();
		for (NodeProto node : graph.getNodeList()) {
			if (!removed.contains(node)) {
				nodes.add(replaced.getOrDefault(node, node));
			}
		}
		List<TensorProto> initializers = graph.getInitializerList()
			.stream()
			.map((initializer) -> scaled.getOrDefault(initializer.getName(), initializer))
			.toList();
		return graph.toBuilder()
			.clearNode()
			.addAllNode(nodes)
			.clearInitializer()
			.addAllInitializer(initializers)
			.build();
	}

	/**
	 * The constant that a Div divides by (or 1 / a Mul's factor), when it is a scalar.
	 */
	private OptionalDouble divisor(NodeProto node) {
		if (node.getInputCount() != 2 || !node.getDomain().isEmpty()) {
			return OptionalDouble.empty();
		}
		OnnxTensor constant = this.constants.get(node.getInput(1));
		OptionalDouble value = (constant != null) ? constant.scalar() : OptionalDouble.empty();
		if (value.isEmpty() || value.getAsDouble() == 0 || !Double.isFinite(value.getAsDouble())) {
			return OptionalDouble.empty();
		}
		return switch (node.getOpType()) {
			case "Div" -> value;
			case "Mul" -> OptionalDouble.of(1 / value.getAsDouble());
			default -> OptionalDouble.empty();
		};
	}

	/** The initializers of a projection {@code Add(b, MatMul(x, W))}. */
	private record Projection(String weight, String bias) {

	}

	/**
	 * The projection {@code Add(b, MatMul(x, W))} that {@code value} is made from through
	 * Transpose and Reshape nodes only, or null.
	 */
	private Projection projection(String value) {
		String current = value;
		NodeProto node = sole(current, null);
		while (node != null && LINEAR_MOVES.contains(node.getOpType())) {
			current = node.getInput(0);
			node = sole(current, null);
		}
		if (node == null || !node.getOpType().equals("Add")) {
			return null;
		}
		for (int side = 0; side < 2; side++) {
			NodeProto product = sole(node.getInput(side), "MatMul");
			if (product != null && isFp32(node.getInput(1 - side), 1) && isFp32(product.getInput(1), 2)
					&& usedOnce(node.getInput(1 - side)) && usedOnce(product.getInput(1))) {
				return new Projection(product.getInput(1), node.getInput(1 - side));
			}
		}
		return null;
	}

	/**
	 * The node of {@code opType} (any, when null) that makes {@code value}, when nothing
	 * but Shape nodes reads that value besides its one consumer and it is not a graph
	 * output.
	 */
	private NodeProto sole(String value, String opType) {
		NodeProto node = this.producers.get(value);
		if (node == null || node.getOutputCount() != 1 || !node.getDomain().isEmpty()
				|| (opType != null && !node.getOpType().equals(opType)) || this.graphOutputs.contains(value)) {
			return null;
		}
		long readers = this.consumers.getOrDefault(value, List.of())
			.stream()
			.filter((consumer) -> !consumer.getOpType().equals("Shape"))
			.count();
		return (readers == 1) ? node : null;
	}

	private boolean isFp32(String name, int rank) {
		TensorProto initializer = this.initializers.get(name);
		return initializer != null && initializer.getDataType() == DataType.FLOAT_VALUE
				&& initializer.getDimsCount() == rank;
	}

	private boolean usedOnce(String name) {
		return this.consumers.getOrDefault(name, List.of()).size() == 1;
	}

	/** The fp32 initializer {@code name} divided by {@code divisor}, under its name. */
	private TensorProto divided(String name, double divisor) {
		OnnxTensor tensor = this.constants.get(name);
		ByteBuffer in = ByteBuffer.wrap(tensor.littleEndianBytes()).order(ByteOrder.LITTLE_ENDIAN);
		ByteBuffer out = ByteBuffer.allocate(tensor.littleEndianBytes().length).order(ByteOrder.LITTLE_ENDIAN);
		while (in.hasRemaining()) {
			out.putFloat((float) (in.getFloat() / divisor));
		}
		return this.initializers.get(name)
			.toBuilder()
			.clearFloatData()
			.setRawData(ByteString.copyFrom(out.array()))
			.build();
	}

}
