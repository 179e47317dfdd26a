package io.eino.serving.importer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

/**
 * The importer's first rewrite, on the ONNX graph before translation: finds LayerNorm and
 * exact GELU where an exporter decomposed them into element-wise chains and puts ONNX's
 * own {@code LayerNormalization} (opset 17) and {@code Gelu} (opset 20) nodes in their
 * place, so that translation emits each as the one form TensorFlow's CPU fusions
 * recognise (docs/engine.md, "Graph rewrites"). Hand-written: no maintained Java library
 * rewrites ONNX graphs.
 *
 * <p>
 * A chain is replaced only when its intermediate values feed nothing else and are not
 * graph outputs, its constants have the values the function needs, and its reductions run
 * over the last axis; anything else is translated node by node as before.
 */
final class OnnxFusions {

	private static final double TOLERANCE = 1e-3;

	private final Map<String, NodeProto> producers = new HashMap<>();

	private final Map<String, Integer> consumers = new HashMap<>();

	private final Map<String, OnnxTensor> constants = new HashMap<>();

	private final Set<String> graphOutputs = new HashSet<>();

	private final Set<NodeProto> removed = new HashSet<>();

	private final Map<NodeProto, NodeProto> replacements = new HashMap<>();

	private OnnxFusions(GraphProto graph) {
		this.constants.putAll(constants(graph));
		for (NodeProto node : graph.getNodeList()) {
			node.getOutputList().forEach((output) -> this.producers.put(output, node));
			node.getInputList().forEach((input) -> this.consumers.merge(input, 1, Integer::sum));
		}
		graph.getOutputList().stream().map(ValueInfoProto::getName).forEach(this.graphOutputs::add);
	}

	/** The graph's constants: its initializers and the values of its Constant nodes. */
	static Map<String, OnnxTensor> constants(GraphProto graph) {
		Map<String, OnnxTensor> constants = new HashMap<>();
		for (TensorProto initializer : graph.getInitializerList()) {
			constants.put(initializer.getName(), OnnxTensor.of(initializer));
		}
		for (NodeProto node : graph.getNodeList()) {
			if (node.getOpType().equals("Constant") && node.getOutputCount() == 1) {
				node.getAttributeList()
					.stream()
					.filter((a) -> a.getName().equals("value"))
					.findFirst()
					.ifPresent((a) -> constants.put(node.getOutput(0),
							OnnxTensor.of(a.getT().toBuilder().setName(node.getOutput(0)).build())));
			}
		}
		return constants;
	}

	/**
	 * The graph with fused nodes in place of the chains found.
	 * @param graph the imported graph
	 * @param fused counts what was fused, by fused op type
	 */
	static GraphProto fuse(GraphProto graph, Map<String, Integer> fused) {
		OnnxFusions fusions = new OnnxFusions(graph);
		for (NodeProto node : graph.getNodeList()) {
			fusions.layerNorm(node).or(() -> fusions.gelu(node)).ifPresent((replacement) -> {
				fusions.replacements.put(node, replacement);
				fused.merge(replacement.getOpType(), 1, Integer::sum);
			});
		}
		List<NodeProto> nodes = new ArrayList<>();
		for (NodeProto node : graph.getNodeList()) {
			NodeProto replacement = fusions.replacements.get(node);
			if (replacement != null) {
				nodes.add(replacement);
			}
			else if (!fusions.removed.contains(node)) {
				nodes.add(node);
			}
		}
		return graph.toBuilder().clearNode().addAllNode(nodes).build();
	}

	/**
	 * {@code Add(Mul(Div(Sub(x, mean), Sqrt(Add(ReduceMean(Pow(Sub, 2)), ε))), γ), β)}
	 * with both means over the last axis, ending at {@code add}.
	 */
	private Optional<NodeProto> layerNorm(NodeProto add) {
		if (!add.getOpType().equals("Add")) {
			return Optional.empty();
		}
		for (int side = 0; side < 2; side++) {
			NodeProto scaled = internal(add.getInput(side), "Mul");
			String beta = add.getInput(1 - side);
			if (scaled == null || !isVector(beta)) {
				continue;
			}
			for (int scaleSide = 0; scaleSide < 2; scaleSide++) {
				NodeProto divided = internal(scaled.getInput(scaleSide), "Div");
				String gamma = scaled.getInput(1 - scaleSide);
				if (divided == null || !isVector(gamma)) {
					continue;
				}
				NodeProto centred = producer(divided.getInput(0), "Sub");
				NodeProto root = internal(divided.getInput(1), "Sqrt");
				NodeProto plusEpsilon = (root != null) ? internal(root.getInput(0), "Add") : null;
				if (centred == null || plusEpsilon == null || feeds(centred.getOutput(0)) != 2) {
					continue;
				}
				NodeProto mean = internal(centred.getInput(1), "ReduceMean");
				String x = centred.getInput(0);
				if (mean == null || !mean.getInput(0).equals(x) || !lastAxis(mean)) {
					continue;
				}
				for (int epsilonSide = 0; epsilonSide < 2; epsilonSide++) {
					NodeProto variance = internal(plusEpsilon.getInput(epsilonSide), "ReduceMean");
					OptionalDouble epsilon = scalar(plusEpsilon.getInput(1 - epsilonSide));
					NodeProto squared = (variance != null) ? internal(variance.getInput(0), "Pow") : null;
					if (squared == null || epsilon.isEmpty() || !lastAxis(variance)
							|| !squared.getInput(0).equals(centred.getOutput(0)) || !near(squared.getInput(1), 2)) {
						continue;
					}
					this.removed.addAll(List.of(scaled, divided, centred, root, plusEpsilon, mean, variance, squared));
					return Optional.of(NodeProto.newBuilder()
						.setOpType("LayerNormalization")
						.setName(add.getName().isEmpty() ? add.getOutput(0) : add.getName())
						.addInput(x)
						.addInput(gamma)
						.addInput(beta)
						.addOutput(add.getOutput(0))
						.addAttribute(AttributeProto.newBuilder()
							.setName("epsilon")
							.setType(AttributeProto.AttributeType.FLOAT)
							.setF((float) epsilon.getAsDouble()))
						.addAttribute(AttributeProto.newBuilder()
							.setName("axis")
							.setType(AttributeProto.AttributeType.INT)
							.setI(-1))
						.build());
				}
			}
		}
		return Optional.empty();
	}

	/**
	 * {@code Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)} (either operand order, or
	 * {@code Mul(x, 1/√2)} inside the Erf), ending at {@code output}.
	 */
	private Optional<NodeProto> gelu(NodeProto output) {
		if (!output.getOpType().equals("Mul")) {
			return Optional.empty();
		}
		for (int side = 0; side < 2; side++) {
			NodeProto product = internal(output.getInput(side), "Mul");
			if (product == null || !near(output.getInput(1 - side), 0.5)) {
				continue;
			}
			for (int productSide = 0; productSide < 2; productSide++) {
				String x = product.getInput(productSide);
				NodeProto plusOne = internal(product.getInput(1 - productSide), "Add");
				if (plusOne == null) {
					continue;
				}
				for (int oneSide = 0; oneSide < 2; oneSide++) {
					NodeProto erf = internal(plusOne.getInput(oneSide), "Erf");
					NodeProto scaled = (erf != null) ? internal(erf.getInput(0), null) : null;
					if (scaled == null || !near(plusOne.getInput(1 - oneSide), 1) || !scaled.getInput(0).equals(x)
							|| !scalesBySqrtHalf(scaled)) {
						continue;
					}
					this.removed.addAll(List.of(product, plusOne, erf, scaled));
					return Optional.of(NodeProto.newBuilder()
						.setOpType("Gelu")
						.setName(output.getName().isEmpty() ? output.getOutput(0) : output.getName())
						.addInput(x)
						.addOutput(output.getOutput(0))
						.build());
				}
			}
		}
		return Optional.empty();
	}

	private boolean scalesBySqrtHalf(NodeProto node) {
		return (node.getOpType().equals("Div") && near(node.getInput(1), Math.sqrt(2)))
				|| (node.getOpType().equals("Mul") && near(node.getInput(1), Math.sqrt(0.5)));
	}

	/**
	 * The node of {@code opType} (any, when null) producing {@code value}, when that
	 * value feeds one node only and is not a graph output.
	 */
	private NodeProto internal(String value, String opType) {
		NodeProto node = producer(value, opType);
		return (node != null && feeds(value) == 1 && !this.graphOutputs.contains(value)) ? node : null;
	}

	private NodeProto producer(String value, String opType) {
		NodeProto node = this.producers.get(value);
		boolean matches = node != null && node.getOutputCount() == 1 && node.getDomain().isEmpty()
				&& !this.removed.contains(node) && !this.replacements.containsKey(node)
				&& (opType == null || node.getOpType().equals(opType));
		return matches ? node : null;
	}

	private int feeds(String value) {
		return this.consumers.getOrDefault(value, 0);
	}

	private OptionalDouble scalar(String name) {
		OnnxTensor constant = this.constants.get(name);
		return (constant != null) ? constant.scalar() : OptionalDouble.empty();
	}

	private boolean near(String name, double expected) {
		OptionalDouble value = scalar(name);
		return value.isPresent() && Math.abs(value.getAsDouble() - expected) < TOLERANCE;
	}

	private boolean isVector(String name) {
		OnnxTensor constant = this.constants.get(name);
		return constant != null && constant.dims().length == 1 && constant.isFloatingPoint();
	}

	/** A ReduceMean over the last axis only, keeping it (attribute or opset-18 input). */
	private boolean lastAxis(NodeProto mean) {
		long[] axes = mean.getAttributeList()
			.stream()
			.filter((a) -> a.getName().equals("axes"))
			.findFirst()
			.map((a) -> a.getIntsList().stream().mapToLong(Long::longValue).toArray())
			.orElseGet(() -> (mean.getInputCount() > 1 && this.constants.containsKey(mean.getInput(1)))
					? this.constants.get(mean.getInput(1)).longValues() : null);
		boolean keepDims = mean.getAttributeList()
			.stream()
			.filter((a) -> a.getName().equals("keepdims"))
			.findFirst()
			.map((a) -> a.getI() != 0)
			.orElse(true);
		return axes != null && axes.length == 1 && axes[0] == -1 && keepDims;
	}

}
