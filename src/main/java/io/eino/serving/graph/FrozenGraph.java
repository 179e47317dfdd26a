package io.eino.serving.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * Freezes a loaded SavedModel: every variable the serving signatures read becomes a
 * constant holding its value, and every node no signature reaches (savers, restore ops,
 * initialisers, training leftovers) is pruned. Grappler can then fold what depends only
 * on weights, and oneDNN can cache each weight's reordered copy (docs/engine.md, "Startup
 * optimisation"). Hand-written: TensorFlow's own freezing lives in its Python tools.
 *
 * <p>
 * A graph is frozen only when every read of a variable the signatures reach is a plain
 * read ({@code ReadVariableOp}, or {@code Identity} of a reference variable); a graph
 * that assigns variables while serving, or reads them inside functions, is served as it
 * is.
 */
public final class FrozenGraph {

	private static final Set<String> VARIABLES = Set.of("VarHandleOp", "VariableV2", "Variable");

	/** Ops that change a reference variable in place. */
	private static final List<String> WRITES = List.of("Assign", "Scatter", "Apply", "CountUpTo");

	/**
	 * Kinds of op whose state the SavedModel's loader initialises (tables, queues, …) or
	 * that hand state to functions: a graph using one stays with its bundle's session.
	 */
	private static final List<String> STATE = List.of("Table", "Iterator", "Queue", "Stack", "TensorArray", "Dataset",
			"Reader", "PartitionedCall", "Resource");

	/** The variable types TensorFlow Java reads back (and so can freeze). */
	private static final Set<DataType> FREEZABLE = Set.of(DataType.DT_FLOAT, DataType.DT_DOUBLE, DataType.DT_HALF,
			DataType.DT_BFLOAT16, DataType.DT_INT32, DataType.DT_INT64, DataType.DT_UINT8, DataType.DT_UINT16,
			DataType.DT_BOOL);

	private FrozenGraph() {
	}

	/** A pruned graph and how many variable reads became constants in it. */
	record Frozen(GraphDef graph, int variables) {
	}

	/**
	 * The frozen, pruned graph (with no variables: the pruned graph), or null when it
	 * cannot be frozen safely; {@code why} gets what was done, or why not.
	 */
	static Frozen freeze(GraphDef graph, Session session, Collection<SignatureDef> signatures, StringBuilder why) {
		Map<String, NodeDef> nodes = new LinkedHashMap<>();
		graph.getNodeList().forEach((node) -> nodes.put(node.getName(), node));
		List<String> roots = roots(signatures);
		Set<String> reached = reach(roots, nodes, Map.of());
		for (String name : reached) {
			NodeDef node = nodes.get(name);
			if (node != null && STATE.stream().anyMatch((kind) -> node.getOp().contains(kind))) {
				why.append("the signatures use state a new session would not have: ").append(node.getOp());
				return null;
			}
		}
		Map<String, NodeDef> constants = new HashMap<>();
		for (String name : reached) {
			NodeDef node = nodes.get(name);
			if (node == null || !VARIABLES.contains(node.getOp())) {
				continue;
			}
			DataType type = node.getAttrOrDefault("dtype", AttrValue.getDefaultInstance()).getType();
			if (!FREEZABLE.contains(type)) {
				why.append("variable '").append(name).append("' is of type ").append(type);
				return null;
			}
			for (String consumer : reached) {
				NodeDef reader = nodes.get(consumer);
				if (reader == null || !reads(reader, name)) {
					continue;
				}
				boolean resource = node.getOp().equals("VarHandleOp");
				if (resource ? !reader.getOp().equals("ReadVariableOp") : writes(reader)) {
					why.append("variable '").append(name).append("' is used by ").append(reader.getOp());
					return null;
				}
				// A resource variable's reads become constants; a reference variable
				// itself does, and its readers go on reading it.
				NodeDef frozen = resource ? reader : node;
				constants.computeIfAbsent(frozen.getName(), (key) -> constant(session, frozen));
			}
		}
		Set<String> kept = reach(roots, nodes, constants);
		why.append(constants.isEmpty() ? "the graph reads no variables"
				: constants.size() + " variable reads frozen into constants")
			.append(", ")
			.append(graph.getNodeCount() - kept.size())
			.append(" of ")
			.append(graph.getNodeCount())
			.append(" nodes pruned");
		GraphDef.Builder frozen = GraphDef.newBuilder().setVersions(graph.getVersions()).setLibrary(graph.getLibrary());
		for (NodeDef node : graph.getNodeList()) {
			if (kept.contains(node.getName())) {
				frozen.addNode(constants.getOrDefault(node.getName(), node));
			}
		}
		return new Frozen(frozen.build(), constants.size());
	}

	/**
	 * The frozen graph with the encoder's layers in the forms TensorFlow fuses
	 * ({@link EncoderRewrite}) and, with int8, quantised; or null to serve the bundle as
	 * loaded (nothing to freeze or rewrite, or unsafe to).
	 * @param int8 whether to quantise the weight products
	 * @param ranges the products' calibrated input ranges, for int8
	 * @throws RewriteException if int8 is asked for and cannot be done
	 */
	public static GraphDef forServing(SavedModelBundle bundle, Collection<SignatureDef> signatures, boolean int8,
			ActivationRanges ranges, StringBuilder rewrites) {
		Frozen frozen;
		try {
			frozen = freeze(bundle.graph().toGraphDef(), bundle.session(), signatures, rewrites);
		}
		catch (TensorFlowException | IllegalArgumentException ex) {
			frozen = null;
			rewrites.append("the variables could not be read: ").append(ex.getMessage());
		}
		if (frozen == null) {
			if (int8) {
				throw new RewriteException("int8 needs a graph that can be frozen, and " + rewrites);
			}
			return null;
		}
		EncoderRewrite.Result encoder;
		try {
			encoder = EncoderRewrite.rewrite(frozen.graph(), new HashSet<>(roots(signatures)));
		}
		catch (RuntimeException ex) {
			// A graph the rewrites cannot read is served frozen as it is: they are an
			// optimisation, never a reason not to load (any failure, TensorFlow's own
			// included).
			encoder = new EncoderRewrite.Result(frozen.graph(), 0, 0, 0, 0);
			rewrites.append("; encoder rewrites skipped: ").append(ex.getMessage());
		}
		if (encoder.total() > 0) {
			rewrites.append("; ").append(encoder.describe());
		}
		if (!int8) {
			return (frozen.variables() > 0 || encoder.total() > 0) ? encoder.graph() : null;
		}
		Int8Rewrite.Result quantised = Int8Rewrite.rewrite(encoder.graph(), ranges);
		if (quantised.products() == 0) {
			throw new RewriteException(
					"the graph has no product of an activation with a constant weight matrix to run in int8");
		}
		rewrites.append("; ").append(quantised.describe());
		return quantised.graph();
	}

	/** The nodes the signatures feed or fetch. */
	private static List<String> roots(Collection<SignatureDef> signatures) {
		List<String> roots = new ArrayList<>();
		for (SignatureDef signature : signatures) {
			for (TensorInfo info : signature.getInputsMap().values()) {
				roots.add(GraphIndex.nodeName(info.getName()));
			}
			for (TensorInfo info : signature.getOutputsMap().values()) {
				roots.add(GraphIndex.nodeName(info.getName()));
			}
		}
		return roots;
	}

	/** The nodes the roots depend on, following data and control inputs. */
	private static Set<String> reach(List<String> roots, Map<String, NodeDef> nodes, Map<String, NodeDef> replaced) {
		Set<String> reached = new HashSet<>();
		Deque<String> pending = new ArrayDeque<>(roots);
		while (!pending.isEmpty()) {
			String name = pending.pop();
			NodeDef node = replaced.getOrDefault(name, nodes.get(name));
			if (node == null || !reached.add(name)) {
				continue;
			}
			for (String input : node.getInputList()) {
				pending.push(GraphIndex.nodeName(input));
			}
		}
		return reached;
	}

	private static boolean writes(NodeDef node) {
		return WRITES.stream().anyMatch((prefix) -> node.getOp().startsWith(prefix));
	}

	private static boolean reads(NodeDef node, String variable) {
		return node.getInputList().stream().anyMatch((input) -> GraphIndex.nodeName(input).equals(variable));
	}

	/** A Const node of the same name holding the value the session reads now. */
	private static NodeDef constant(Session session, NodeDef node) {
		try (Result result = session.runner().fetch(node.getName()).run()) {
			Tensor value = result.get(0);
			byte[] bytes = new byte[(int) value.numBytes()];
			value.asRawTensor().data().read(bytes);
			return Int8Rewrite.constant(node.getName(), value.dataType(), value.shape().asArray(), bytes,
					node.getDevice());
		}
	}

}
