package io.eino.serving.importer;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

import static io.eino.serving.importer.OperatorTranslators.typed;

/**
 * The ONNX operators that move and reshape tensors (Shape, Gather, Unsqueeze, Concat,
 * Reshape, Transpose, Slice), for {@link OperatorTranslators}; hand-written for the same
 * reason.
 */
final class ShapeTranslators {

	/** The permutation that splits {@code [batch, sequence, heads, depth]} into heads. */
	static final long[] HEADS = { 0, 2, 1, 3 };

	/** The permutation that splits keys into heads, transposed for the scores. */
	private static final long[] KEYS = { 0, 2, 3, 1 };

	/** An element of a shape that is computed when the graph runs. */
	static final long UNKNOWN = Long.MIN_VALUE;

	private ShapeTranslators() {
	}

	static Operand<?> shape(TranslationContext context, OnnxNode node) {
		if (node.attribute("start").isPresent() || node.attribute("end").isPresent()) {
			throw node.unsupported("the 'start'/'end' attributes of Shape are not supported");
		}
		return shapeOf(context, node.inputs().get(0), node);
	}

	/**
	 * The shape of a value, without waiting for the value where it is known otherwise: a
	 * matrix-held value's from its leading dimensions (no reshape or scatter waits for
	 * it, and the shapes of all packed values are one subgraph, which Grappler's
	 * common-subgraph elimination keeps once); a transposed value's from its source's,
	 * permuted (attention's heads, merged back from their gather, are then never
	 * transposed).
	 */
	private static Operand<TInt64> shapeOf(TranslationContext context, String name, OnnxNode node) {
		Optional<TranslationContext.Flat> flat = context.flat(name);
		if (flat.isPresent()) {
			return flat.get().shape(context.tf());
		}
		Optional<TranslationContext.Transposed> transposed = context.transposeOf(name);
		if (transposed.isPresent()) {
			return context.tf()
				.gather(shapeOf(context, transposed.get().input(), node),
						context.tf().constant(transposed.get().permutation()), context.tf().constant(0L));
		}
		return context.tf().shape(context.value(name, node), TInt64.class);
	}

	static Operand<?> gather(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
		Optional<OnnxTensor> table = context.constant(node.inputs().get(0));
		Optional<TranslationContext.Tokens> tokens = context.tokens();
		if (tokens.isPresent() && table.isPresent() && table.get().dims().length == 2
				&& node.intAttribute("axis", 0) == 0 && context.isTokenInput(node.inputs().get(1))) {
			// An embedding lookup by token ids: the real tokens' rows only, packed
			// (docs/engine.md, "Graph rewrites", packed tokens).
			Operand<TInt64> ids = tf.gatherNd(
					tf.reshape(context.asInt64(context.input(node, 1)), tf.constant(new long[] { -1 })),
					tokens.get().positions());
			Operand<TType> rows = tf.gather(typed(context.input(node, 0)), ids, tf.constant(0L));
			context.defineFlat(node.output(),
					new TranslationContext.Flat(rows, tokens.get().shape(), table.get().dims()[1], true));
			return null;
		}
		Operand<TType> data = typed(context.input(node, 0));
		long axis = node.intAttribute("axis", 0);
		long[] constantIndices = context.constantLongs(node, 1).orElse(null);
		Operand<TInt64> indices = context.asInt64(context.input(node, 1));
		if (constantIndices != null && Arrays.stream(constantIndices).anyMatch((index) -> index < 0)) {
			// ONNX counts negative indices from the end; TensorFlow's GatherV2 rejects
			// them.
			Operand<TInt64> dimension = tf.gather(tf.shape(data, TInt64.class), tf.constant(axis), tf.constant(0L));
			indices = tf.select(tf.math.less(indices, tf.constant(0L)), tf.math.add(indices, dimension), indices);
		}
		return tf.gather(data, indices, tf.constant(axis));
	}

	static Operand<?> unsqueeze(TranslationContext context, OnnxNode node) {
		Operand<TType> value = typed(context.input(node, 0));
		long[] axes = (node.opsetVersion() >= 13) ? context.requireConstantLongs(node, 1, "axes")
				: node.intsAttribute("axes").orElseThrow(() -> node.unsupported("attribute 'axes' is missing"));
		int outputRank = TranslationContext.rank(value, node) + axes.length;
		long[] normalised = Arrays.stream(axes).map((axis) -> (axis < 0) ? axis + outputRank : axis).sorted().toArray();
		for (long axis : normalised) {
			value = context.tf().expandDims(value, context.tf().constant(axis));
		}
		return value;
	}

	static Operand<?> concat(TranslationContext context, OnnxNode node) {
		List<Operand<TType>> values = node.inputs()
			.stream()
			.map((name) -> OperatorTranslators.<TType>typed(context.value(name, node)))
			.toList();
		long axis = node.attribute("axis").orElseThrow(() -> node.unsupported("attribute 'axis' is missing")).getI();
		recordPartial(context, node, values);
		return context.tf().concat(values, context.tf().constant(axis));
	}

	/**
	 * The elements of a concatenation of vectors that are known when the graph is built
	 * (a target shape such as {@code [batch, sequence, 12, 32]}, its first two computed),
	 * for {@link #packedHeads}; {@link #UNKNOWN} where an element is computed.
	 */
	private static void recordPartial(TranslationContext context, OnnxNode node, List<Operand<TType>> values) {
		long[] partial = new long[0];
		for (int i = 0; i < values.size(); i++) {
			long[] part = context.constantLongs(node, i).orElse(null);
			if (part == null) {
				long length = (values.get(i).shape().numDimensions() == 1) ? values.get(i).shape().size(0) : -1;
				if (length < 0) {
					return;
				}
				part = filled((int) length, UNKNOWN);
			}
			long[] joined = Arrays.copyOf(partial, partial.length + part.length);
			System.arraycopy(part, 0, joined, partial.length, part.length);
			partial = joined;
		}
		context.partial(node.output(), partial);
	}

	static Operand<?> reshape(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
		Operand<TType> data = typed(context.input(node, 0));
		if (node.intAttribute("allowzero", 0) != 0) {
			throw node.unsupported("allowzero=1 is not supported");
		}
		Operand<TInt64> target = context.asInt64(context.input(node, 1));
		long[] constantTarget = context.constantLongs(node, 1).orElse(null);
		boolean mayCopyDimensions = constantTarget == null || Arrays.stream(constantTarget).anyMatch((d) -> d == 0);
		if (mayCopyDimensions) {
			// ONNX: a 0 in the target shape copies the input's dimension at that
			// position.
			int targetLength = (int) target.shape().size(0);
			if (targetLength < 0) {
				throw node.unsupported("the length of the target shape is not known when the graph is built");
			}
			int inputRank = TranslationContext.rank(data, node);
			Operand<TInt64> inputShape = shapeOf(context, node.inputs().get(0), node);
			Operand<TInt64> aligned = (targetLength <= inputRank)
					? tf.stridedSlice(inputShape, tf.constant(new long[] { 0 }),
							tf.constant(new long[] { targetLength }), tf.constant(new long[] { 1 }))
					: tf.concat(List.of(inputShape, tf.constant(filled(targetLength - inputRank, 1L))),
							tf.constant(0L));
			target = tf.select(tf.math.equal(target, tf.constant(0L)), aligned, target);
		}
		Operand<TType> result = tf.reshape(data, target);
		Optional<Packing> packing = context.packing();
		if (packing.isPresent()) {
			packedHeads(context, node, packing.get(), target);
		}
		return context.defines(node.output()) ? null : result;
	}

	/**
	 * Attention's reshapes between packed rows and heads (docs/engine.md, "Graph
	 * rewrites"): a packed {@code [.., C]} reshaped to {@code [.., heads, depth]} is
	 * recorded so that its split into heads reads the packed rows
	 * ({@link Packing#unpack}); heads {@code [batch, heads, sequence, depth]} transposed
	 * back and reshaped to {@code [.., C]} become packed rows at once
	 * ({@link Packing#pack}).
	 */
	private static void packedHeads(TranslationContext context, OnnxNode node, Packing packing,
			Operand<TInt64> target) {
		String input = node.inputs().get(0);
		long[] dims = context.constantLongs(node, 1).or(() -> context.partial(node.inputs().get(1))).orElse(null);
		if (dims == null) {
			return;
		}
		Optional<TranslationContext.Flat> flat = context.flat(input);
		if (flat.isPresent() && flat.get().packed() && dims.length == 4 && dims[2] > 0 && dims[3] > 0
				&& dims[2] * dims[3] == flat.get().columns()) {
			packing.splitHeads(node.output(), new Packing.SplitHeads(flat.get().rows(), dims[2], dims[3], target));
			return;
		}
		Optional<TranslationContext.Transposed> transposed = context.transposeOf(input);
		if (transposed.isEmpty() || !Arrays.equals(transposed.get().permutation(), HEADS) || dims.length != 3) {
			return;
		}
		Operand<TType> heads = typed(context.value(transposed.get().input(), node));
		long[] split = heads.shape().asArray();
		if (split.length == 4 && split[1] > 0 && split[3] > 0 && dims[2] == split[1] * split[3]) {
			Operand<TInt64> leading = context.tokens().orElseThrow().shape();
			context.defineFlat(node.output(), new TranslationContext.Flat(
					packing.pack(heads, split[1], split[3], target), leading, dims[2], true));
		}
	}

	static Operand<?> transpose(TranslationContext context, OnnxNode node) {
		Operand<TType> data = typed(context.input(node, 0));
		long[] permutation = node.intsAttribute("perm").orElseGet(() -> {
			int rank = TranslationContext.rank(data, node);
			long[] reversed = new long[rank];
			for (int i = 0; i < rank; i++) {
				reversed[i] = rank - 1 - i;
			}
			return reversed;
		});
		context.transposed(node.output(), node.inputs().get(0), permutation);
		boolean keys = Arrays.equals(permutation, KEYS);
		if (keys || Arrays.equals(permutation, HEADS)) {
			Optional<Operand<TType>> heads = context.packing()
				.flatMap((packing) -> packing.heads(node.inputs().get(0)));
			if (heads.isPresent() && !keys) {
				return heads.get();
			}
			if (heads.isPresent()) {
				// A batched product reads the keys through its adjoint flag instead
				// (DenseTranslators), and then this transpose is not run.
				return context.tf().linalg.transpose(heads.get(), context.tf().constant(new long[] { 0, 1, 3, 2 }));
			}
		}
		return context.tf().linalg.transpose(data, context.tf().constant(permutation));
	}

	static Operand<?> slice(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
		Operand<TType> data = typed(context.input(node, 0));
		int rank = TranslationContext.rank(data, node);
		if (node.opsetVersion() < 10) {
			throw node.unsupported("Slice before opset 10 (attribute form) is not supported");
		}
		Operand<TInt64> starts = context.asInt64(context.input(node, 1));
		Operand<TInt64> ends = context.asInt64(context.input(node, 2));
		int sliced = (int) starts.shape().size(0);
		if (sliced < 0) {
			throw node.unsupported("the number of sliced axes is not known when the graph is built");
		}
		long[] axes = node.hasInput(3) ? context.requireConstantLongs(node, 3, "axes") : range(sliced);
		Operand<TInt64> steps = node.hasInput(4) ? context.asInt64(context.input(node, 4))
				: tf.constant(filled(sliced, 1L));
		// StridedSlice takes begin/end/strides over every dimension: untouched ones get a
		// mask bit.
		Operand<TInt64>[] begin = newArray(rank);
		Operand<TInt64>[] end = newArray(rank);
		Operand<TInt64>[] stride = newArray(rank);
		long untouched = (1L << rank) - 1;
		for (int i = 0; i < axes.length; i++) {
			int axis = (int) ((axes[i] < 0) ? axes[i] + rank : axes[i]);
			begin[axis] = element(tf, starts, i);
			end[axis] = element(tf, ends, i);
			stride[axis] = element(tf, steps, i);
			untouched &= ~(1L << axis);
		}
		for (int axis = 0; axis < rank; axis++) {
			if (begin[axis] == null) {
				begin[axis] = tf.constant(new long[] { 0 });
				end[axis] = tf.constant(new long[] { 0 });
				stride[axis] = tf.constant(new long[] { 1 });
			}
		}
		return tf.stridedSlice(data, tf.concat(List.of(begin), tf.constant(0L)),
				tf.concat(List.of(end), tf.constant(0L)), tf.concat(List.of(stride), tf.constant(0L)),
				StridedSlice.beginMask(untouched), StridedSlice.endMask(untouched));
	}

	private static Operand<TInt64> element(Ops tf, Operand<TInt64> vector, int index) {
		return tf.stridedSlice(vector, tf.constant(new long[] { index }), tf.constant(new long[] { index + 1 }),
				tf.constant(new long[] { 1 }));
	}

	@SuppressWarnings("unchecked")
	private static Operand<TInt64>[] newArray(int length) {
		return new Operand[length];
	}

	private static long[] filled(int length, long value) {
		long[] values = new long[length];
		Arrays.fill(values, value);
		return values;
	}

	private static long[] range(int length) {
		long[] values = new long[length];
		for (int i = 0; i < length; i++) {
			values[i] = i;
		}
		return values;
	}

}
