package io.eino.serving.importer;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The ONNX operators the importer translates, with ONNX semantics (opsets 9 to 17) mapped
 * onto TensorFlow ops. Covers the operator set of BERT-family encoder exports
 * (all-MiniLM-L6-v2 uses exactly these 19 types). Hand-written: no maintained Java
 * library translates ONNX graphs into TensorFlow graphs.
 */
final class OperatorTranslators {

	private static final Map<String, OperatorTranslator> STANDARD = Collections
		.unmodifiableMap(new TreeMap<>(Map.ofEntries(Map.entry("Add", binary((tf, a, b) -> tf.math.add(a, b))),
				Map.entry("Sub", binary((tf, a, b) -> tf.math.sub(a, b))),
				Map.entry("Mul", binary((tf, a, b) -> tf.math.mul(a, b))),
				Map.entry("Div", binary((tf, a, b) -> tf.math.div(a, b))),
				Map.entry("Pow", binary((tf, a, b) -> tf.math.pow(a, b))),
				Map.entry("Erf", unary((tf, x) -> tf.math.erf(numeric(x)))),
				Map.entry("Sqrt", unary((tf, x) -> tf.math.sqrt(x))), Map.entry("Cast", OperatorTranslators::cast),
				Map.entry("Constant", OperatorTranslators::constant), Map.entry("Shape", OperatorTranslators::shape),
				Map.entry("Gather", OperatorTranslators::gather),
				Map.entry("Unsqueeze", OperatorTranslators::unsqueeze),
				Map.entry("Concat", OperatorTranslators::concat), Map.entry("Reshape", OperatorTranslators::reshape),
				Map.entry("Transpose", OperatorTranslators::transpose),
				Map.entry("Softmax", OperatorTranslators::softmax),
				Map.entry("ReduceMean", OperatorTranslators::reduceMean),
				Map.entry("MatMul", OperatorTranslators::matMul), Map.entry("Slice", OperatorTranslators::slice))));

	private OperatorTranslators() {
	}

	/** Every supported operator type, by ONNX name. */
	static Map<String, OperatorTranslator> standard() {
		return STANDARD;
	}

	@FunctionalInterface
	private interface Binary {

		Operand<?> apply(Ops tf, Operand<TType> a, Operand<TType> b);

	}

	private static OperatorTranslator binary(Binary operation) {
		return (context, node) -> operation.apply(context.tf(), typed(context.input(node, 0)),
				typed(context.input(node, 1)));
	}

	private static OperatorTranslator unary(BiFunction<Ops, Operand<TType>, Operand<?>> operation) {
		return (context, node) -> operation.apply(context.tf(), typed(context.input(node, 0)));
	}

	private static Operand<?> cast(TranslationContext context, OnnxNode node) {
		DataType to = DataType.forNumber((int) node.intAttribute("to", 0));
		if (to == null) {
			throw node.unsupported("attribute 'to' is missing or unknown");
		}
		return context.tf().dtypes.cast(context.input(node, 0), OnnxTypes.tensorFlowType(to, node.describe()));
	}

	private static Operand<?> constant(TranslationContext context, OnnxNode node) {
		var value = node.attribute("value")
			.orElseThrow(() -> node.unsupported("only the 'value' form of Constant is supported"));
		OnnxTensor tensor = OnnxTensor.of(value.getT().toBuilder().setName(node.output()).build());
		return context.defineConstant(tensor);
	}

	private static Operand<?> shape(TranslationContext context, OnnxNode node) {
		if (node.attribute("start").isPresent() || node.attribute("end").isPresent()) {
			throw node.unsupported("the 'start'/'end' attributes of Shape are not supported");
		}
		return context.tf().shape(context.input(node, 0), TInt64.class);
	}

	private static Operand<?> gather(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
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

	private static Operand<?> unsqueeze(TranslationContext context, OnnxNode node) {
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

	private static Operand<?> concat(TranslationContext context, OnnxNode node) {
		List<Operand<TType>> values = node.inputs()
			.stream()
			.map((name) -> OperatorTranslators.<TType>typed(context.value(name, node)))
			.toList();
		long axis = node.attribute("axis").orElseThrow(() -> node.unsupported("attribute 'axis' is missing")).getI();
		return context.tf().concat(values, context.tf().constant(axis));
	}

	private static Operand<?> reshape(TranslationContext context, OnnxNode node) {
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
			Operand<TInt64> inputShape = tf.shape(data, TInt64.class);
			Operand<TInt64> aligned = (targetLength <= inputRank)
					? tf.stridedSlice(inputShape, tf.constant(new long[] { 0 }),
							tf.constant(new long[] { targetLength }), tf.constant(new long[] { 1 }))
					: tf.concat(List.of(inputShape, tf.constant(filled(targetLength - inputRank, 1L))),
							tf.constant(0L));
			target = tf.select(tf.math.equal(target, tf.constant(0L)), aligned, target);
		}
		return tf.reshape(data, target);
	}

	private static Operand<?> transpose(TranslationContext context, OnnxNode node) {
		Operand<TType> data = typed(context.input(node, 0));
		long[] permutation = node.intsAttribute("perm").orElseGet(() -> {
			int rank = TranslationContext.rank(data, node);
			long[] reversed = new long[rank];
			for (int i = 0; i < rank; i++) {
				reversed[i] = rank - 1 - i;
			}
			return reversed;
		});
		return context.tf().linalg.transpose(data, context.tf().constant(permutation));
	}

	private static Operand<?> softmax(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
		Operand<TType> logits = typed(context.input(node, 0));
		int rank = TranslationContext.rank(logits, node);
		long defaultAxis = (node.opsetVersion() >= 13) ? -1 : 1;
		long axis = node.intAttribute("axis", defaultAxis);
		long normalised = (axis < 0) ? axis + rank : axis;
		if (normalised == rank - 1) {
			return tf.nn.softmax(numeric(logits));
		}
		if (node.opsetVersion() >= 13) {
			// Softmax over one inner axis: move it last, apply, move it back.
			long[] permutation = new long[rank];
			for (int i = 0; i < rank; i++) {
				permutation[i] = i;
			}
			permutation[(int) normalised] = rank - 1;
			permutation[rank - 1] = normalised;
			Operand<TType> moved = tf.linalg.transpose(logits, tf.constant(permutation));
			return tf.linalg.transpose(tf.nn.softmax(numeric(moved)), tf.constant(permutation));
		}
		// Before opset 13 the input is flattened to 2-D at 'axis' and normalised per row.
		Operand<TInt64> shape = tf.shape(logits, TInt64.class);
		Operand<TInt64> rows = tf.prod(tf.stridedSlice(shape, tf.constant(new long[] { 0 }),
				tf.constant(new long[] { normalised }), tf.constant(new long[] { 1 })), tf.constant(0));
		Operand<TType> flat = tf.reshape(logits, tf.stack(List.of(rows, tf.constant(-1L))));
		return tf.reshape(tf.nn.softmax(numeric(flat)), shape);
	}

	private static Operand<?> reduceMean(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
		Operand<TType> data = typed(context.input(node, 0));
		long[] axes = (node.opsetVersion() >= 18) ? context.constantLongs(node, 1).orElse(null)
				: node.intsAttribute("axes").orElse(null);
		if (axes == null) {
			int rank = TranslationContext.rank(data, node);
			axes = new long[rank];
			for (int i = 0; i < rank; i++) {
				axes[i] = i;
			}
		}
		boolean keepDimensions = node.intAttribute("keepdims", 1) != 0;
		return tf.math.mean(data, tf.constant(axes), Mean.keepDims(keepDimensions));
	}

	private static Operand<?> matMul(TranslationContext context, OnnxNode node) {
		Ops tf = context.tf();
		Operand<TType> a = typed(context.input(node, 0));
		Operand<TType> b = typed(context.input(node, 1));
		int rankA = TranslationContext.rank(a, node);
		int rankB = TranslationContext.rank(b, node);
		if (rankA == 2 && rankB == 2) {
			return tf.linalg.matMul(a, b);
		}
		if (rankA >= 3 && rankB == 2 && b.shape().size(0) > 0 && b.shape().size(1) > 0) {
			// Activations [..., K] times a weight matrix [K, N]: one GEMM over every row
			// instead of BatchMatMul's one small product per leading index (about twice
			// as fast on CPU for BERT-sized layers), then the leading dimensions back.
			Operand<TInt64> leading = tf.slice(tf.shape(a, TInt64.class), tf.constant(new long[] { 0 }),
					tf.constant(new long[] { rankA - 1 }));
			Operand<TType> rows = tf.reshape(a, tf.constant(new long[] { -1, b.shape().size(0) }));
			Operand<TType> product = tf.linalg.matMul(rows, b);
			Operand<TInt64> shape = tf.concat(List.of(leading, tf.constant(new long[] { b.shape().size(1) })),
					tf.constant(0));
			return tf.reshape(product, shape);
		}
		// NumPy matmul semantics: a vector operand gains a dimension that is removed
		// afterwards.
		Operand<TType> left = (rankA == 1) ? tf.expandDims(a, tf.constant(0)) : a;
		Operand<TType> right = (rankB == 1) ? tf.expandDims(b, tf.constant(-1)) : b;
		Operand<TType> product = tf.train.batchMatMul(left, right, a.type());
		if (rankB == 1) {
			product = tf.squeeze(product, org.tensorflow.op.core.Squeeze.axis(List.of(-1L)));
		}
		if (rankA == 1) {
			product = tf.squeeze(product, org.tensorflow.op.core.Squeeze.axis(List.of(-2L)));
		}
		return product;
	}

	private static Operand<?> slice(TranslationContext context, OnnxNode node) {
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

	@SuppressWarnings("unchecked")
	static <T extends TType> Operand<T> typed(Operand<?> operand) {
		return (Operand<T>) operand;
	}

	@SuppressWarnings({ "unchecked", "rawtypes" })
	private static Operand numeric(Operand<?> operand) {
		return operand;
	}

}
