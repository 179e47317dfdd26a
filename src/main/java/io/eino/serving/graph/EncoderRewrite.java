package io.eino.serving.graph;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Rewrites a frozen SavedModel graph, one a user brings ({@link FrozenGraph}), so that
 * TensorFlow's CPU fusions find an encoder's layers in the forms Keras and TensorFlow's
 * Python ops write them (docs/engine.md, "Startup optimisation"):
 * <ul>
 * <li><b>LayerNorm</b> written as small ops ({@link LayerNormMatch}) becomes oneDNN's one
 * {@value #LAYER_NORM} node with the graph's own ε. Grappler's remapper fuses the same
 * forms into the same op but runs them with ε = 0.001 (TensorFlow 2.18): a BERT LayerNorm
 * (ε = 1e-12) then moves so far that the startup step's parity check rejects Grappler as
 * a whole, and the model runs unoptimised.</li>
 * <li><b>Biases onto their products.</b> Keras' {@code Dense} on {@code [batch, tokens,
 * K]} is a {@code tensordot}: reshape, {@code MatMul}, reshape back, then
 * {@code BiasAdd}, which the remapper cannot fuse across the reshape. The bias moves onto
 * the product, the reshape after it; an {@code Add} of a bias vector to a product becomes
 * a {@code BiasAdd}.</li>
 * <li><b>Attention's scale</b> folded into the query's weights ({@link ScoreScale}).</li>
 * <li><b>GELU</b> in {@code tf.nn.gelu}'s erf form (factors in any order, {@code x/√2} or
 * {@code x·(1/√2)}) after a biased product is written in the operand order of the
 * remapper's pattern on the product's rows, so that it becomes one fused product.</li>
 * </ul>
 * A rewrite takes only values that feed nothing else and that no signature fetches. The
 * startup step keeps the result only if it passes its parity check against the graph as
 * loaded. Hand-written: Grappler takes no custom patterns from Java, and TensorFlow's
 * graph transform tools are C++ and Python programs.
 */
final class EncoderRewrite {

	static final String LAYER_NORM = FusedOps.LAYER_NORM;

	private static final Set<DataType> LAYER_NORM_TYPES = Set.of(DataType.DT_FLOAT, DataType.DT_BFLOAT16);

	private static final float SQRT_HALF = (float) Math.sqrt(0.5);

	private EncoderRewrite() {
	}

	/** The rewritten graph and how many of each rewrite it took. */
	record Result(GraphDef graph, int layerNorms, int biases, int gelus, int scales) {

		int total() {
			return this.layerNorms + this.biases + this.gelus + this.scales;
		}

		String describe() {
			return this.layerNorms + " LayerNorms as " + LAYER_NORM + ", " + this.biases
					+ " biases onto their products, " + this.gelus + " GELUs in the fused form, " + this.scales
					+ " attention scales folded into their projections";
		}

	}

	/** Rewrites {@code graph}; {@code kept}: the nodes the signatures feed or fetch. */
	static Result rewrite(GraphDef graph, Set<String> kept) {
		try (GraphIndex.StaticShapes shapes = new GraphIndex.StaticShapes(graph)) {
			GraphIndex index = new GraphIndex(graph, kept, shapes);
			int layerNorms = FusedOps.layerNorm() ? layerNorms(index) : 0;
			index = new GraphIndex(index.build(), kept, shapes);
			int biases = biases(index);
			index = new GraphIndex(index.build(), kept, shapes);
			int gelus = gelus(index);
			int scales = ScoreScale.fold(index);
			return new Result(index.build(), layerNorms, biases, gelus, scales);
		}
	}

	private static int layerNorms(GraphIndex index) {
		int count = 0;
		for (NodeDef out : index.nodes()) {
			if (GraphIndex.is(out, "Add|AddV2") && LAYER_NORM_TYPES.contains(GraphIndex.type(out))) {
				LayerNormMatch match = LayerNormMatch.find(index, out);
				if (match != null && index.apply(out, match.node(out), match.interior(), List.of())) {
					count++;
				}
			}
		}
		return count;
	}

	/**
	 * {@code bias(reshape(x·W))} → {@code reshape(bias(x·W))}; {@code x·W + b} → BiasAdd.
	 */
	private static int biases(GraphIndex index) {
		int count = 0;
		for (NodeDef add : index.nodes()) {
			boolean biasAdd = GraphIndex.is(add, "BiasAdd")
					&& add.getAttrOrDefault("data_format", text("NHWC")).getS().toStringUtf8().equals("NHWC");
			if (GraphIndex.type(add) != DataType.DT_FLOAT || !(biasAdd || GraphIndex.is(add, "Add|AddV2"))) {
				continue;
			}
			for (int side = 0; side < (biasAdd ? 1 : 2); side++) {
				String bias = add.getInput(1 - side);
				NodeDef reshape = index.input(add, side, "Reshape");
				NodeDef product = (reshape != null) ? index.input(reshape, 0, "MatMul")
						: index.input(add, side, "MatMul");
				if (product == null || (reshape == null && biasAdd)) {
					continue;
				}
				Shape vector = index.shape(bias);
				if (vector.isUnknown() || vector.numDimensions() != 1
						|| !lastAxis(index.shape(product.getName()), vector.get(0))
						|| (reshape != null && !lastAxis(index.shape(reshape.getName()), vector.get(0)))) {
					continue;
				}
				String flat = (reshape != null) ? add.getName() + "/on_product" : add.getName();
				NodeDef onProduct = node(flat, "BiasAdd", add, product.getName(), bias);
				boolean taken = (reshape != null)
						? index.apply(add, reshaped(add, onProduct, reshape), Set.of(reshape), List.of(onProduct))
						: index.apply(add, onProduct, Set.of(), List.of());
				if (taken) {
					count++;
					break;
				}
			}
		}
		return count;
	}

	/**
	 * {@code ½·x·(1 + erf(x/√2))} with {@code x} a biased product (through a reshape) →
	 * the remapper's {@code Mul(Mul(AddV2(Erf(Mul(x, 1/√2)), 1), ½), x)} on the product's
	 * rows, reshaped after.
	 */
	private static int gelus(GraphIndex index) {
		int count = 0;
		for (NodeDef out : index.nodes()) {
			if (!GraphIndex.is(out, "Mul") || GraphIndex.type(out) != DataType.DT_FLOAT) {
				continue;
			}
			Set<NodeDef> interior = new HashSet<>();
			List<String> factors = factors(index, out, interior, 1);
			String x = geluInput(index, factors, interior);
			NodeDef base = (x != null) ? index.node(x) : null;
			NodeDef reshape = GraphIndex.is(base, "Reshape") ? base : null;
			NodeDef biased = (reshape != null) ? index.input(reshape, 0, "BiasAdd")
					: GraphIndex.is(base, "BiasAdd") ? base : null;
			if (biased == null || index.input(biased, 0, "MatMul") == null
					|| (reshape == null && canonical(index, out, biased))) {
				continue;
			}
			if (reshape != null) {
				interior.add(reshape);
			}
			String scope = out.getName() + "/gelu/";
			String rows = biased.getName();
			List<NodeDef> extra = new ArrayList<>(List.of(constant(scope + "sqrt_half", SQRT_HALF, out),
					node(scope + "scaled", "Mul", out, rows, scope + "sqrt_half"),
					node(scope + "erf", "Erf", out, scope + "scaled"), constant(scope + "one", 1f, out),
					node(scope + "plus_one", "AddV2", out, scope + "erf", scope + "one"),
					constant(scope + "half", 0.5f, out),
					node(scope + "halved", "Mul", out, scope + "plus_one", scope + "half")));
			NodeDef gelu = node((reshape != null) ? scope + "out" : out.getName(), "Mul", out, scope + "halved", rows);
			NodeDef root = gelu;
			if (reshape != null) {
				extra.add(gelu);
				root = reshaped(out, gelu, reshape);
			}
			if (index.apply(out, root, interior, extra)) {
				count++;
			}
		}
		return count;
	}

	/**
	 * {@code x} when {@code factors} are {@code x}, ½ and {@code 1 + erf(x/√2)} (or
	 * {@code x·(1/√2)}); adds the sum, the erf and the scaling to the interior.
	 */
	private static String geluInput(GraphIndex index, List<String> factors, Set<NodeDef> interior) {
		if (factors.size() != 3) {
			return null;
		}
		for (String half : factors) {
			for (String sum : factors) {
				NodeDef plusOne = index.node(sum);
				if (half.equals(sum) || index.scalar(index.node(half)) != 0.5f
						|| !GraphIndex.is(plusOne, "Add|AddV2")) {
					continue;
				}
				for (int k = 0; k < 2; k++) {
					NodeDef erf = index.input(plusOne, k, "Erf");
					NodeDef scaled = index.input(erf, 0, "RealDiv|Div|Mul");
					if (index.scalar(index.input(plusOne, 1 - k, "Const")) != 1f || scaled == null) {
						continue;
					}
					List<String> rest = new ArrayList<>(factors);
					rest.remove(half);
					rest.remove(sum);
					String x = rest.get(0);
					int at = GraphIndex.nodeName(scaled.getInput(0)).equals(GraphIndex.nodeName(x)) ? 0 : 1;
					float by = index.scalar(index.input(scaled, 1 - at, "Const"));
					boolean divides = scaled.getOp().equals("Mul") ? Math.abs(by - SQRT_HALF) < 1e-6
							: at == 0 && Math.abs(by - 1 / SQRT_HALF) < 1e-6;
					if (divides && GraphIndex.nodeName(scaled.getInput(at)).equals(GraphIndex.nodeName(x))) {
						interior.addAll(List.of(plusOne, erf, scaled));
						return x;
					}
				}
			}
		}
		return null;
	}

	/** Whether {@code out} is already the remapper's form on {@code x}. */
	private static boolean canonical(GraphIndex index, NodeDef out, NodeDef x) {
		NodeDef halved = index.input(out, 0, "Mul");
		NodeDef plusOne = index.input(halved, 0, "Add|AddV2");
		NodeDef scaled = index.input(index.input(plusOne, 0, "Erf"), 0, "Mul");
		return index.input(out, 1, "BiasAdd") == x && scaled != null && index.input(scaled, 0, "BiasAdd") == x
				&& GraphIndex.is(index.node(scaled.getInput(1)), "Const")
				&& GraphIndex.is(index.node(plusOne.getInput(1)), "Const")
				&& GraphIndex.is(index.node(halved.getInput(1)), "Const");
	}

	/**
	 * The factors of a product, expanding products among its inputs {@code depth} levels
	 * down (each expanded product joins the interior).
	 */
	static List<String> factors(GraphIndex index, NodeDef product, Set<NodeDef> interior, int depth) {
		List<String> factors = new ArrayList<>();
		interior.add(product);
		for (int k = 0; k < 2; k++) {
			NodeDef inner = index.input(product, k, "Mul");
			if (inner != null && depth > 0) {
				factors.addAll(factors(index, inner, interior, depth - 1));
			}
			else {
				factors.add(product.getInput(k));
			}
		}
		return factors;
	}

	private static boolean lastAxis(Shape shape, long size) {
		return !shape.isUnknown() && shape.numDimensions() >= 2 && size >= 0
				&& shape.get(shape.numDimensions() - 1) == size;
	}

	private static NodeDef node(String name, String op, NodeDef like, String... inputs) {
		NodeDef.Builder node = NodeDef.newBuilder()
			.setName(name)
			.setOp(op)
			.setDevice(like.getDevice())
			.putAttr("T", like.getAttrOrThrow("T"));
		for (String input : inputs) {
			node.addInput(input);
		}
		return node.build();
	}

	private static NodeDef reshaped(NodeDef out, NodeDef value, NodeDef reshape) {
		return node(out.getName(), "Reshape", out, value.getName(), reshape.getInput(1)).toBuilder()
			.putAttr("Tshape", reshape.getAttrOrThrow("Tshape"))
			.build();
	}

	private static NodeDef constant(String name, float value, NodeDef like) {
		return Int8Rewrite.constant(name, DataType.DT_FLOAT, new long[0], Int8Rewrite.floats(value), like.getDevice());
	}

	private static AttrValue text(String value) {
		return AttrValue.newBuilder().setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
	}

}
