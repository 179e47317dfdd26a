package io.eino.serving.graph;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.NodeDef;

/**
 * A LayerNorm over the last axis that a frozen graph writes as small ops, found from its
 * last addition ({@link EncoderRewrite}). Two forms, operands of each product and sum in
 * either order:
 * <ul>
 * <li>{@code tf.nn.moments} then {@code tf.nn.batch_normalization}, as Keras 2 writes
 * {@code LayerNormalization} whenever ε is below 1.001e-5 (BERT's 1e-12):
 * {@code x·inv + (β − μ·inv)}, {@code inv = rsqrt(mean((x − μ)²) + ε)·γ};</li>
 * <li>centred: {@code (x − μ)·rsqrt(var + ε)·γ + β} or {@code (x − μ)/√(var + ε)·γ + β},
 * the variance as the mean of {@code Square}, {@code x·x}, {@code Pow(·, 2)} or
 * {@code SquaredDifference}.</li>
 * </ul>
 * Both means must reduce the last axis of a rank-2 or rank-3 {@code x} with
 * {@code keep_dims}, and γ and β must be vectors.
 */
record LayerNormMatch(String x, String gamma, String beta, float epsilon, NodeDef mean, NodeDef variance,
		Set<NodeDef> interior) {

	/** The match whose sum is {@code out}, or null. */
	static LayerNormMatch find(GraphIndex index, NodeDef out) {
		for (int side = 0; side < 2; side++) {
			LayerNormMatch match = batchNormalization(index, out, side);
			if (match == null) {
				match = centred(index, out, side);
			}
			if (match != null && match.valid(index)) {
				return match;
			}
		}
		return null;
	}

	/** {@code out = x·inv + (β − μ·inv)}, with {@code x·inv} at input {@code side}. */
	private static LayerNormMatch batchNormalization(GraphIndex index, NodeDef out, int side) {
		NodeDef scaled = index.input(out, side, "Mul");
		NodeDef shift = index.input(out, 1 - side, "Sub");
		NodeDef meanTimesInv = index.input(shift, 1, "Mul");
		if (scaled == null || meanTimesInv == null) {
			return null;
		}
		for (int i = 0; i < 2; i++) {
			NodeDef inv = index.input(scaled, 1 - i, "Mul");
			int invAt = other(meanTimesInv, inv);
			NodeDef mean = (invAt < 0) ? null : index.input(meanTimesInv, 1 - invAt, "Mean");
			for (int j = 0; mean != null && j < 2; j++) {
				NodeDef rsqrt = index.input(inv, j, "Rsqrt");
				Set<NodeDef> interior = new HashSet<>(List.of(scaled, shift, meanTimesInv, inv, mean));
				Variance variance = variance(index, index.input(rsqrt, 0, "Add|AddV2"), interior);
				if (rsqrt == null || variance == null) {
					continue;
				}
				interior.add(rsqrt);
				String x = scaled.getInput(i);
				NodeDef difference = index.input(variance.mean(), 0, "SquaredDifference");
				if (difference == null || !centres(index, difference, x, mean, interior)) {
					continue;
				}
				interior.add(difference);
				return new LayerNormMatch(x, inv.getInput(1 - j), shift.getInput(0), variance.epsilon(), mean,
						variance.mean(), interior);
			}
		}
		return null;
	}

	/** {@code out = (x − μ)·r·γ + β}, with the product at input {@code side}. */
	private static LayerNormMatch centred(GraphIndex index, NodeDef out, int side) {
		NodeDef product = index.input(out, side, "Mul");
		if (product == null) {
			return null;
		}
		Set<NodeDef> interior = new HashSet<>(List.of(product));
		List<String> factors = EncoderRewrite.factors(index, product, interior, 1);
		if (factors.size() != 2 && factors.size() != 3) {
			return null;
		}
		NodeDef centred = null;
		Variance variance = null;
		List<String> rest = new ArrayList<>(factors);
		for (String factor : factors) {
			NodeDef node = index.node(factor);
			NodeDef divided = GraphIndex.is(node, "RealDiv|Div") ? index.input(node, 0, "Sub") : null;
			NodeDef root = GraphIndex.is(node, "Rsqrt") ? node
					: (divided != null) ? index.input(node, 1, "Sqrt") : null;
			if (root != null && (divided != null || factors.size() == 3)) {
				variance = variance(index, index.input(root, 0, "Add|AddV2"), interior);
				interior.add(node);
				interior.add(root);
				centred = (divided != null) ? divided : centred;
				rest.remove(factor);
			}
			else if (GraphIndex.is(node, "Sub") && factors.size() == 3) {
				centred = node;
				rest.remove(factor);
			}
		}
		NodeDef mean = index.input(centred, 1, "Mean");
		if (variance == null || mean == null || rest.size() != 1) {
			return null;
		}
		interior.add(centred);
		interior.add(mean);
		String x = centred.getInput(0);
		NodeDef squared = index.input(variance.mean(), 0, "Square|Mul|Pow|SquaredDifference");
		if (squared == null || !squares(index, squared, centred, x, mean, interior)) {
			return null;
		}
		interior.add(squared);
		return new LayerNormMatch(x, rest.get(0), out.getInput(1 - side), variance.epsilon(), mean, variance.mean(),
				interior);
	}

	private record Variance(NodeDef mean, float epsilon) {
	}

	/** {@code var + ε} (either order), var a {@code Mean}; adds both to the interior. */
	private static Variance variance(GraphIndex index, NodeDef sum, Set<NodeDef> interior) {
		for (int k = 0; sum != null && k < 2; k++) {
			NodeDef mean = index.input(sum, k, "Mean");
			float epsilon = index.scalar(index.input(sum, 1 - k, "Const"));
			if (mean != null && epsilon >= 0) {
				interior.add(sum);
				interior.add(mean);
				return new Variance(mean, epsilon);
			}
		}
		return null;
	}

	/** Whether {@code squared} is {@code (x − μ)²}, written one of four ways. */
	private static boolean squares(GraphIndex index, NodeDef squared, NodeDef centred, String x, NodeDef mean,
			Set<NodeDef> interior) {
		if (GraphIndex.is(squared, "SquaredDifference")) {
			return centres(index, squared, x, mean, interior);
		}
		if (index.input(squared, 0, "Sub") != centred) {
			return false;
		}
		return switch (squared.getOp()) {
			case "Square" -> true;
			case "Mul" -> index.input(squared, 1, "Sub") == centred;
			default -> index.scalar(index.input(squared, 1, "Const")) == 2f;
		};
	}

	/**
	 * Whether {@code difference} is {@code SquaredDifference} of {@code x} and
	 * {@code mean} (either order; the mean maybe through {@code StopGradient} or
	 * {@code Identity}, added to the interior).
	 */
	private static boolean centres(GraphIndex index, NodeDef difference, String x, NodeDef mean,
			Set<NodeDef> interior) {
		for (int k = 0; k < 2; k++) {
			NodeDef other = index.input(difference, 1 - k, "Mean|StopGradient|Identity");
			NodeDef through = GraphIndex.is(other, "Mean") ? other : index.input(other, 0, "Mean");
			if (difference.getInput(k).equals(x) && through == mean) {
				if (other != mean) {
					interior.add(other);
				}
				return true;
			}
		}
		return false;
	}

	/** The input index of {@code node} that reads {@code input}, or −1. */
	private static int other(NodeDef node, NodeDef input) {
		if (input == null) {
			return -1;
		}
		for (int k = 0; k < 2; k++) {
			if (GraphIndex.nodeName(node.getInput(k)).equals(input.getName())) {
				return k;
			}
		}
		return -1;
	}

	/**
	 * Both means reduce the last axis of a rank-2 or rank-3 {@code x} and keep it; γ and
	 * β are vectors as long as that axis.
	 */
	private boolean valid(GraphIndex index) {
		Shape shape = index.shape(this.x);
		if (shape.isUnknown() || shape.numDimensions() < 2 || shape.numDimensions() > 3
				|| !lastAxis(index, this.mean, shape.numDimensions())
				|| !lastAxis(index, this.variance, shape.numDimensions()) || !this.mean.getInput(0).equals(this.x)) {
			return false;
		}
		long features = shape.get(shape.numDimensions() - 1);
		for (String vector : List.of(this.gamma, this.beta)) {
			Shape vectorShape = index.shape(vector);
			if (vectorShape.isUnknown() || vectorShape.numDimensions() != 1
					|| (features >= 0 && vectorShape.get(0) != features)) {
				return false;
			}
		}
		return true;
	}

	private static boolean lastAxis(GraphIndex index, NodeDef mean, int rank) {
		long[] axes = index.integers(index.input(mean, 1, "Const"));
		boolean keeps = mean.getAttrOrDefault("keep_dims", AttrValue.getDefaultInstance()).getB();
		return keeps && axes != null && axes.length == 1 && (axes[0] == -1 || axes[0] == rank - 1);
	}

	/** The oneDNN LayerNorm that takes {@code out}'s place, under its name. */
	NodeDef node(NodeDef out) {
		return NodeDef.newBuilder()
			.setName(out.getName())
			.setOp(EncoderRewrite.LAYER_NORM)
			.setDevice(out.getDevice())
			.addInput(this.x)
			.addInput(this.gamma)
			.addInput(this.beta)
			.putAttr("T", out.getAttrOrThrow("T"))
			.putAttr("epsilon", AttrValue.newBuilder().setF(this.epsilon).build())
			.build();
	}

}
