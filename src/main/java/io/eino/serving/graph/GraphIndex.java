package io.eino.serving.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.IntStream;

import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A frozen graph's nodes by name, who reads each, and the static shapes TensorFlow infers
 * when it imports the graph: what {@link EncoderRewrite}'s pattern matching reads, and
 * the edits it collects (nodes replaced under their own name, nodes added, nodes
 * removed), applied at once by {@link #build()}.
 */
public final class GraphIndex {

	private final GraphDef graph;

	private final Map<String, NodeDef> nodes = new LinkedHashMap<>();

	private final Map<String, List<String>> readers = new HashMap<>();

	private final Set<String> kept;

	private final Map<String, NodeDef> replaced = new HashMap<>();

	private final List<NodeDef> added = new ArrayList<>();

	private final Set<String> claimed = new HashSet<>();

	private final Function<String, Shape> shapes;

	/**
	 * {@code kept}: nodes the signatures feed or fetch, which a rewrite never removes;
	 * {@code shapes}: static shapes by node name ({@link StaticShapes}).
	 */
	GraphIndex(GraphDef graph, Set<String> kept, Function<String, Shape> shapes) {
		this.graph = graph;
		this.kept = kept;
		this.shapes = shapes;
		for (NodeDef node : graph.getNodeList()) {
			this.nodes.put(node.getName(), node);
			for (String input : node.getInputList()) {
				this.readers.computeIfAbsent(nodeName(input), (key) -> new ArrayList<>()).add(node.getName());
			}
		}
	}

	Iterable<NodeDef> nodes() {
		return List.copyOf(this.nodes.values());
	}

	/**
	 * The node that produces data input {@code index} of {@code node}, if it is that
	 * node's first output and the node is {@code op} (one of {@code |}-separated ops);
	 * else null.
	 */
	NodeDef input(NodeDef node, int index, String op) {
		if (node == null || index >= node.getInputCount()) {
			return null;
		}
		NodeDef producer = producer(node.getInput(index));
		return is(producer, op) ? producer : null;
	}

	/**
	 * The node whose first output {@code input} names; null for another output or a
	 * control input.
	 */
	private NodeDef producer(String input) {
		boolean first = !input.startsWith("^") && (!input.contains(":") || input.endsWith(":0"));
		return first ? this.nodes.get(nodeName(input)) : null;
	}

	NodeDef node(String input) {
		return this.nodes.get(nodeName(input));
	}

	static boolean is(NodeDef node, String op) {
		return node != null && List.of(op.split("\\|")).contains(node.getOp());
	}

	/** The names of the nodes that read {@code name} (data or control). */
	List<String> readers(String name) {
		return this.readers.getOrDefault(nodeName(name), List.of());
	}

	/** The values of a float {@code Const} stored as tensor content, or null. */
	static float[] floats(NodeDef node) {
		if (node == null || !node.getOp().equals("Const")) {
			return null;
		}
		TensorProto value = node.getAttrOrThrow("value").getTensor();
		if (value.getDtype() != DataType.DT_FLOAT || value.getTensorContent().isEmpty()) {
			return null;
		}
		float[] floats = new float[value.getTensorContent().size() / Float.BYTES];
		value.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
		return floats;
	}

	/** The value of a scalar (or one-element) float {@code Const}, or NaN. */
	float scalar(NodeDef node) {
		if (node == null || !node.getOp().equals("Const")) {
			return Float.NaN;
		}
		TensorProto value = node.getAttrOrThrow("value").getTensor();
		if (value.getDtype() != DataType.DT_FLOAT
				|| value.getTensorShape().getDimList().stream().anyMatch((dim) -> dim.getSize() != 1)) {
			return Float.NaN;
		}
		if (value.getFloatValCount() > 0) {
			return value.getFloatVal(0);
		}
		byte[] bytes = value.getTensorContent().toByteArray();
		return (bytes.length == Float.BYTES) ? ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat()
				: Float.NaN;
	}

	/** The values of an int32 or int64 {@code Const} vector or scalar, or null. */
	long[] integers(NodeDef node) {
		if (node == null || !node.getOp().equals("Const")) {
			return null;
		}
		TensorProto value = node.getAttrOrThrow("value").getTensor();
		ByteBuffer content = value.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
		if (value.getDtype() == DataType.DT_INT32) {
			return (value.getIntValCount() > 0) ? value.getIntValList().stream().mapToLong(Integer::longValue).toArray()
					: IntStream.range(0, content.remaining() / Integer.BYTES)
						.mapToLong((i) -> content.getInt(i * Integer.BYTES))
						.toArray();
		}
		if (value.getDtype() == DataType.DT_INT64) {
			return (value.getInt64ValCount() > 0)
					? value.getInt64ValList().stream().mapToLong(Long::longValue).toArray()
					: IntStream.range(0, content.remaining() / Long.BYTES)
						.mapToLong((i) -> content.getLong(i * Long.BYTES))
						.toArray();
		}
		return null;
	}

	static DataType type(NodeDef node) {
		return node.getAttrOrDefault("T", AttrValue.getDefaultInstance()).getType();
	}

	/**
	 * The static shape of a node's first output (unknown when it cannot be told): a
	 * constant's and a product's with a constant weight as the graph itself declares
	 * them, others from TensorFlow's shape inference (an import of the whole graph, so
	 * only when needed).
	 */
	Shape shape(String name) {
		NodeDef node = producer(name);
		if (is(node, "Const")) {
			return Shape.of(dims(node));
		}
		NodeDef weight = is(node, "MatMul") ? input(node, 1, "Const") : null;
		if (weight != null && dims(weight).length == 2) {
			boolean transposed = node.getAttrOrDefault("transpose_b", AttrValue.getDefaultInstance()).getB();
			return Shape.of(Shape.UNKNOWN_SIZE, dims(weight)[transposed ? 0 : 1]);
		}
		return this.shapes.apply(nodeName(name));
	}

	private static long[] dims(NodeDef constant) {
		return constant.getAttrOrThrow("value")
			.getTensor()
			.getTensorShape()
			.getDimList()
			.stream()
			.mapToLong(TensorShapeProto.Dim::getSize)
			.toArray();
	}

	/**
	 * Takes a match: {@code root} keeps its name and gets {@code replacement}, the rest
	 * of {@code matched} (its interior) is removed, {@code extra} is added. Refused
	 * (false) when an interior node is read by anything outside the match, is fed or
	 * fetched by a signature, or belongs to an earlier match.
	 */
	boolean apply(NodeDef root, NodeDef replacement, Set<NodeDef> matched, List<NodeDef> extra) {
		Set<NodeDef> interior = new HashSet<>(matched);
		interior.remove(root);
		Set<String> names = new HashSet<>();
		interior.forEach((node) -> names.add(node.getName()));
		names.add(root.getName());
		for (String name : names) {
			if (this.claimed.contains(name)) {
				return false;
			}
		}
		for (NodeDef node : interior) {
			if (this.kept.contains(node.getName())
					|| !names.containsAll(this.readers.getOrDefault(node.getName(), List.of()))) {
				return false;
			}
		}
		this.claimed.addAll(names);
		this.replaced.put(root.getName(), replacement);
		interior.forEach((node) -> this.replaced.put(node.getName(), null));
		this.added.addAll(extra);
		return true;
	}

	/**
	 * Puts each of {@code replacements} in place of the node of its name, all or none
	 * (none when one of them belongs to an earlier match).
	 */
	boolean replace(List<NodeDef> replacements) {
		if (replacements.stream().anyMatch((node) -> this.claimed.contains(node.getName()))) {
			return false;
		}
		replacements.forEach((node) -> {
			this.claimed.add(node.getName());
			this.replaced.put(node.getName(), node);
		});
		return true;
	}

	/** The graph with every match applied. */
	GraphDef build() {
		GraphDef.Builder rewritten = this.graph.toBuilder().clearNode();
		for (NodeDef node : this.graph.getNodeList()) {
			NodeDef kept = this.replaced.containsKey(node.getName()) ? this.replaced.get(node.getName()) : node;
			if (kept != null) {
				rewritten.addNode(kept);
			}
		}
		this.added.forEach(rewritten::addNode);
		return rewritten.build();
	}

	/** {@code ^name}, {@code name:1} → {@code name}. */
	public static String nodeName(String input) {
		String name = input.startsWith("^") ? input.substring(1) : input;
		int colon = name.indexOf(':');
		return (colon < 0) ? name : name.substring(0, colon);
	}

	/**
	 * Static shapes by node name, from TensorFlow's shape inference on the graph as
	 * imported into a scratch {@link Graph} (only once a rewrite asks).
	 */
	static final class StaticShapes implements Function<String, Shape>, AutoCloseable {

		private final GraphDef graph;

		private Graph imported;

		StaticShapes(GraphDef graph) {
			this.graph = graph;
		}

		@Override
		public Shape apply(String name) {
			if (this.imported == null) {
				this.imported = new Graph();
				this.imported.importGraphDef(this.graph);
			}
			GraphOperation operation = this.imported.operation(name);
			return (operation == null) ? Shape.unknown() : operation.output(0).shape();
		}

		@Override
		public void close() {
			if (this.imported != null) {
				this.imported.close();
			}
		}

	}

}
