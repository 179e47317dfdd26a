package io.eino.serving.graph;

import java.util.ArrayList;
import java.util.List;

import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Attention's scale folded into a projection's weights, in a frozen graph a user brings
 * ({@link EncoderRewrite}; docs/engine.md, "Encoder rewrites for SavedModels you bring").
 * Exporters divide every score {@code [batch, heads, sequence, sequence]} by √d after the
 * product of queries and keys (Hugging Face's TensorFlow BERT with {@code RealDiv}), an
 * element-wise op on a layer's largest tensor at every run. Between that product and the
 * query (or key) projection there are only reshapes, transposes and the bias, all linear:
 * the projection's weight and bias constants are scaled once and the division becomes an
 * {@code Identity}. Every value on the way must be read by the next step only
 * ({@code Shape} readers aside), and the weight and bias by the projection only. The
 * importer's own fold of the same division is {@code importer.AttentionScale}.
 */
final class ScoreScale {

	private ScoreScale() {
	}

	/** Folds every such scale; the number folded. */
	static int fold(GraphIndex index) {
		int count = 0;
		for (NodeDef scaling : index.nodes()) {
			boolean multiplies = GraphIndex.is(scaling, "Mul");
			if (!(multiplies || GraphIndex.is(scaling, "RealDiv|Div"))
					|| GraphIndex.type(scaling) != DataType.DT_FLOAT) {
				continue;
			}
			for (int side = 0; side < (multiplies ? 2 : 1); side++) {
				NodeDef scores = index.input(scaling, side, "BatchMatMulV2|BatchMatMulV3|BatchMatMul");
				float by = index.scalar(index.input(scaling, 1 - side, "Const"));
				if (scores == null || !(by > 0) || !readBy(index, scores, scaling)) {
					continue;
				}
				List<NodeDef> scaled = scaled(index, scores, multiplies ? by : 1 / by);
				if (scaled != null) {
					scaled.add(NodeDef.newBuilder()
						.setName(scaling.getName())
						.setOp("Identity")
						.setDevice(scaling.getDevice())
						.addInput(scaling.getInput(side))
						.putAttr("T", scaling.getAttrOrThrow("T"))
						.build());
					if (index.replace(scaled)) {
						count++;
						break;
					}
				}
			}
		}
		return count;
	}

	/**
	 * The scaled weight and bias constants of the projection behind one operand of
	 * {@code scores}, or null when neither operand leads to one.
	 */
	private static List<NodeDef> scaled(GraphIndex index, NodeDef scores, float factor) {
		for (int operand = 0; operand < 2; operand++) {
			List<NodeDef> constants = new ArrayList<>();
			NodeDef reader = scores;
			NodeDef node = index.input(scores, operand, "Reshape|Transpose|Identity|BiasAdd|Add|AddV2|MatMul");
			while (node != null && readBy(index, node, reader)) {
				if (GraphIndex.is(node, "MatMul") || GraphIndex.is(node, "BiasAdd|Add|AddV2")) {
					int at = constantInput(index, node);
					if (at < 0 || !readBy(index, index.node(node.getInput(at)), node)) {
						break;
					}
					constants.add(scale(index.node(node.getInput(at)), index, factor));
					if (GraphIndex.is(node, "MatMul")) {
						return constants;
					}
					reader = node;
					node = index.input(node, 1 - at, "Reshape|Transpose|Identity|MatMul");
				}
				else {
					reader = node;
					node = index.input(node, 0, "Reshape|Transpose|Identity|BiasAdd|Add|AddV2|MatMul");
				}
			}
		}
		return null;
	}

	/**
	 * The input of {@code node} that is a float constant (a weight matrix for a product,
	 * a vector for a bias), or −1.
	 */
	private static int constantInput(GraphIndex index, NodeDef node) {
		boolean product = GraphIndex.is(node, "MatMul");
		for (int at = (product || GraphIndex.is(node, "BiasAdd")) ? 1 : 0; at < 2; at++) {
			NodeDef constant = index.input(node, at, "Const");
			TensorProto value = (constant != null) ? constant.getAttrOrThrow("value").getTensor() : null;
			if (value != null && GraphIndex.floats(constant) != null
					&& value.getTensorShape().getDimCount() == (product ? 2 : 1)) {
				return at;
			}
		}
		return -1;
	}

	/** Whether {@code reader} is the only reader of {@code node}, {@code Shape} aside. */
	private static boolean readBy(GraphIndex index, NodeDef node, NodeDef reader) {
		List<String> readers = index.readers(node.getName());
		return readers.contains(reader.getName()) && readers.stream()
			.allMatch((name) -> name.equals(reader.getName()) || GraphIndex.is(index.node(name), "Shape"));
	}

	private static NodeDef scale(NodeDef constant, GraphIndex index, float factor) {
		float[] values = GraphIndex.floats(constant);
		for (int i = 0; i < values.length; i++) {
			values[i] *= factor;
		}
		TensorShapeProto shape = constant.getAttrOrThrow("value").getTensor().getTensorShape();
		long[] dims = shape.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
		return Int8Rewrite.constant(constant.getName(), DataType.DT_FLOAT, dims, Int8Rewrite.floats(values),
				constant.getDevice());
	}

}
