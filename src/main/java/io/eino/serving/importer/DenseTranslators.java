package io.eino.serving.importer;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.eino.serving.graph.FusedOps;
import io.eino.serving.importer.TranslationContext.Flat;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

import static io.eino.serving.importer.OperatorTranslators.numeric;
import static io.eino.serving.importer.OperatorTranslators.typed;

/**
 * The translators of the dense part of an encoder, written so that TensorFlow's CPU
 * remapper fuses what they emit (docs/engine.md, "Graph rewrites"):
 * <ul>
 * <li>a product of activations with a weight matrix is one {@code MatMul} on
 * {@code [rows, K]} ({@link Flat}), its bias a {@code BiasAdd}, so that
 * {@code MatMul + BiasAdd (+ GELU)} becomes one {@code _FusedMatMul};</li>
 * <li>{@code Gelu} (exact) in the operand order of the remapper's GELU pattern;</li>
 * <li>{@code LayerNormalization} as oneDNN's one {@code _MklLayerNorm} node, with the
 * model's epsilon.</li>
 * </ul>
 * Element-wise operations on a matrix with a scalar or a last-axis vector stay on the
 * matrix; anything else gets the full shape back.
 */
final class DenseTranslators {

	private static final float SQRT_HALF = (float) Math.sqrt(0.5);

	static final String ONE_DNN_LAYER_NORM = FusedOps.LAYER_NORM;

	private static final Set<Class<?>> FUSED_TYPES = Set.of(TFloat32.class, TBfloat16.class);

	private DenseTranslators() {
	}

	@FunctionalInterface
	interface Binary {

		Operand<?> apply(Ops tf, Operand<TType> a, Operand<TType> b);

	}

	/**
	 * An element-wise binary operator; {@code add} marks Add, whose last-axis vector
	 * operand on a matrix becomes a {@code BiasAdd}.
	 */
	static OperatorTranslator binary(Binary operation, boolean add) {
		return (context, node) -> {
			Optional<Flat> left = context.flat(node.inputs().get(0));
			Optional<Flat> right = context.flat(node.inputs().get(1));
			Ops tf = context.tf();
			if (left.isPresent() && right.isPresent() && left.get().alignsWith(right.get())) {
				return defineFlat(context, node, left.get(),
						operation.apply(tf, left.get().rows(), right.get().rows()));
			}
			if (left.isPresent() != right.isPresent()) {
				Flat flat = left.orElseGet(right::get);
				String other = node.inputs().get(left.isPresent() ? 1 : 0);
				Optional<OnnxTensor> constant = context.constant(other);
				Operand<TType> full = typed(context.value(other, node));
				if (flat.packed() && constant.isEmpty() && full.shape().numDimensions() == 3
						&& full.shape().size(2) == flat.columns()) {
					// A token-shaped operand (position embeddings): its rows for the real
					// tokens, so the packed side stays packed.
					Operand<TType> rows = context.packing().orElseThrow().broadcastRows(full, flat.columns());
					return defineFlat(context, node, flat, left.isPresent() ? operation.apply(tf, flat.rows(), rows)
							: operation.apply(tf, rows, flat.rows()));
				}
				if (constant.isPresent() && constant.get().isFloatingPoint() && broadcastsOver(constant.get(), flat)) {
					Operand<TType> value = typed(context.value(other, node));
					boolean vector = constant.get().dims().length == 1 && constant.get().dims()[0] > 1;
					Operand<?> result = (add && vector) ? tf.nn.biasAdd(flat.rows(), value) : left.isPresent()
							? operation.apply(tf, flat.rows(), value) : operation.apply(tf, value, flat.rows());
					return defineFlat(context, node, flat, result);
				}
			}
			return operation.apply(tf, typed(context.input(node, 0)), typed(context.input(node, 1)));
		};
	}

	/** A scalar, or a vector over the last axis: the same broadcast on the matrix. */
	private static boolean broadcastsOver(OnnxTensor constant, Flat flat) {
		long[] dims = constant.dims();
		return dims.length == 0 || (dims.length == 1 && (dims[0] == 1 || dims[0] == flat.columns()));
	}

	static Operand<?> erf(TranslationContext context, OnnxNode node) {
		Optional<Flat> flat = context.flat(node.inputs().get(0));
		if (flat.isPresent()) {
			return defineFlat(context, node, flat.get(), context.tf().math.erf(numeric(flat.get().rows())));
		}
		return context.tf().math.erf(numeric(context.input(node, 0)));
	}

	static Operand<?> matMul(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
		Optional<Flat> flat = context.flat(node.inputs().get(0));
		Operand<TType> b = typed(context.input(node, 1));
		boolean weight = TranslationContext.rank(b, node) == 2 && b.shape().size(0) > 0 && b.shape().size(1) > 0;
		if (weight && flat.isPresent()) {
			if (flat.get().packed()) {
				context.packedProduct();
			}
			return defineFlat(context, node, flat.get(), tf.linalg.matMul(flat.get().rows(), b));
		}
		Operand<TType> a = typed(context.input(node, 0));
		int rankA = TranslationContext.rank(a, node);
		if (weight && rankA >= 3) {
			// Activations [..., K] times a weight matrix [K, N]: one GEMM over every row
			// instead of BatchMatMul's one small product per leading index.
			Operand<TType> rows = tf.reshape(a, tf.constant(new long[] { -1, b.shape().size(0) }));
			Optional<TranslationContext.Tokens> tokens = context.tokens();
			Flat input;
			if (rankA == 3 && tokens.isPresent()) {
				// A token activation [batch, sequence, K]: its real tokens only.
				rows = tf.gatherNd(rows, tokens.get().positions());
				input = new Flat(rows, tokens.get().shape(), b.shape().size(0), true);
				context.packedProduct();
			}
			else {
				Operand<TInt64> leading = tf.slice(tf.shape(a, TInt64.class), tf.constant(new long[] { 0 }),
						tf.constant(new long[] { rankA - 1 }));
				input = new Flat(rows, leading, b.shape().size(0), false);
			}
			context.alsoFlat(node.inputs().get(0), input);
			return defineFlat(context, node, input, tf.linalg.matMul(rows, b));
		}
		if (rankA == 2 && TranslationContext.rank(b, node) == 2) {
			return tf.linalg.matMul(a, b);
		}
		// NumPy matmul semantics: a vector operand gains a dimension that is removed
		// afterwards.
		int rankB = TranslationContext.rank(b, node);
		Operand<TType> left = (rankA == 1) ? tf.expandDims(a, tf.constant(0)) : a;
		Operand<TType> right = (rankB == 1) ? tf.expandDims(b, tf.constant(-1)) : b;
		boolean adjoint = false;
		if (rankA >= 3 && rankB >= 3) {
			Optional<Operand<TType>> keys = adjointSource(context, tf, node);
			if (keys.isPresent()) {
				right = keys.get();
				adjoint = true;
			}
		}
		// BatchMatMulV2, not TensorFlow Java's V3: oneDNN's layout pass rewrites V2 into
		// _MklBatchMatMulV2 and leaves V3 to Eigen (attention's products ran 2.4x
		// slower).
		Operand<TType> product = typed(tf.scope()
			.opBuilder("BatchMatMulV2", "BatchMatMulV2")
			.addInput(left.asOutput())
			.addInput(right.asOutput())
			.setAttr("adj_y", adjoint)
			.build()
			.output(0));
		if (rankB == 1) {
			product = tf.squeeze(product, Squeeze.axis(List.of(-1L)));
		}
		if (rankA == 1) {
			product = tf.squeeze(product, Squeeze.axis(List.of(-2L)));
		}
		return product;
	}

	/**
	 * A right operand made by a Transpose that also swaps the last two axes (attention's
	 * keys, {@code perm=[0, 2, 3, 1]}): the same transpose without that swap, for the
	 * product to read through {@code adj_y}. A transpose that keeps the innermost axis in
	 * place copies whole rows and costs a fraction of one that moves it (docs/engine.md,
	 * "Graph rewrites").
	 */
	private static Optional<Operand<TType>> adjointSource(TranslationContext context, Ops tf, OnnxNode node) {
		Optional<TranslationContext.Transposed> transposed = context.transposeOf(node.inputs().get(1));
		if (transposed.isEmpty()) {
			return Optional.empty();
		}
		long[] permutation = transposed.get().permutation().clone();
		int rank = permutation.length;
		long last = permutation[rank - 1];
		permutation[rank - 1] = permutation[rank - 2];
		permutation[rank - 2] = last;
		if (permutation[rank - 1] != rank - 1) {
			return Optional.empty();
		}
		String input = transposed.get().input();
		if (Arrays.equals(permutation, ShapeTranslators.HEADS)) {
			Optional<Operand<TType>> heads = context.packing().flatMap((packing) -> packing.heads(input));
			if (heads.isPresent()) {
				return heads;
			}
		}
		return Optional.of(tf.linalg.transpose(typed(context.value(input, node)), tf.constant(permutation)));
	}

	/**
	 * ONNX {@code Gelu} (opset 20, {@code approximate="none"}):
	 * {@code x · ½(1 + erf(x/√2))}, written as the remapper's pattern
	 * {@code Mul(Mul(AddV2(Erf(Mul(x, 1/√2)), 1), ½), x)}.
	 */
	static Operand<?> gelu(TranslationContext context, OnnxNode node) {
		String approximate = node.attribute("approximate").map((a) -> a.getS().toStringUtf8()).orElse("none");
		if (!approximate.equals("none")) {
			throw node.unsupported("only approximate=\"none\" (erf) is supported, not \"" + approximate + "\"");
		}
		Ops tf = context.tf();
		Optional<Flat> flat = context.flat(node.inputs().get(0));
		Operand<TType> x = flat.map(Flat::rows).orElseGet(() -> typed(context.input(node, 0)));
		Operand<TType> erf = typed(tf.math.erf(numeric(tf.math.mul(x, scalar(tf, x, SQRT_HALF)))));
		Operand<TType> half = tf.math.mul(tf.math.add(erf, scalar(tf, x, 1f)), scalar(tf, x, 0.5f));
		Operand<TType> result = tf.math.mul(half, x);
		return flat.isPresent() ? defineFlat(context, node, flat.get(), result) : result;
	}

	/**
	 * ONNX {@code LayerNormalization} over the last axis. Where this TensorFlow build has
	 * oneDNN's {@value #ONE_DNN_LAYER_NORM} (the x86 builds), it is emitted as that one
	 * node with the model's epsilon. It is not left to Grappler's remapper: the remapper
	 * does fuse the decomposed form into the same op, but without carrying the epsilon
	 * over (TensorFlow 2.18), so a BERT LayerNorm (ε = 1e-12) would run with ε = 0.001
	 * and move the hidden states by 0.38 (measured). Elsewhere it is the decomposed form
	 * {@code (x − μ)·γ/√(var + ε) + β}.
	 */
	static Operand<?> layerNormalization(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
		Optional<Flat> flat = context.flat(node.inputs().get(0));
		Operand<TType> x = flat.map(Flat::rows).orElseGet(() -> typed(context.input(node, 0)));
		int rank = TranslationContext.rank(x, node);
		long axis = node.intAttribute("axis", -1);
		if (axis != -1 && axis != rank - 1) {
			throw node.unsupported("only normalisation over the last axis is supported, not axis " + axis);
		}
		float epsilon = node.attribute("epsilon").map((a) -> a.getF()).orElse(1e-5f);
		Operand<TType> gamma = typed(context.input(node, 1));
		Operand<TType> beta = node.hasInput(2) ? typed(context.input(node, 2)) : typed(tf.zerosLike(gamma));
		Operand<TType> result;
		if (FusedOps.layerNorm() && (rank == 2 || rank == 3) && FUSED_TYPES.contains(x.type())) {
			result = tf.scope()
				.opBuilder(ONE_DNN_LAYER_NORM, "LayerNorm")
				.addInput(x.asOutput())
				.addInput(gamma.asOutput())
				.addInput(beta.asOutput())
				.setAttr("epsilon", epsilon)
				.build()
				.output(0);
		}
		else {
			Operand<TInt64> lastAxis = tf.constant(new long[] { rank - 1 });
			Operand<TType> mean = tf.math.mean(x, lastAxis, Mean.keepDims(true));
			Operand<TType> centred = tf.math.sub(x, mean);
			Operand<TType> variance = tf.math.mean(tf.math.square(centred), lastAxis, Mean.keepDims(true));
			Operand<TType> normalised = tf.math.div(centred,
					tf.math.sqrt(tf.math.add(variance, scalar(tf, x, epsilon))));
			result = tf.math.add(tf.math.mul(normalised, gamma), beta);
		}
		return flat.isPresent() ? defineFlat(context, node, flat.get(), result) : result;
	}

	/**
	 * A scalar constant of {@code like}'s type (a Const, as the fusion patterns need).
	 */
	private static Operand<TType> scalar(Ops tf, Operand<TType> like, float value) {
		if (TFloat32.class.equals(like.type())) {
			return typed(tf.constant(value));
		}
		return typed(tf.dtypes.cast(tf.constant(value), like.type()));
	}

	/** Defines the node's output as a matrix aligned with {@code like}; returns null. */
	private static Operand<?> defineFlat(TranslationContext context, OnnxNode node, Flat like, Operand<?> rows) {
		context.defineFlat(node.output(), new Flat(typed(rows), like.leading(),
				rows.shape().size(1) > 0 ? rows.shape().size(1) : like.columns(), like.packed()));
		return null;
	}

}
