package io.eino.serving.importer;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The ONNX operators the importer translates, with ONNX semantics (opsets 9 to 17) mapped
 * onto TensorFlow ops. Covers the operator set of BERT-family encoder exports
 * (all-MiniLM-L6-v2 uses 19 of them), plus ONNX's {@code LayerNormalization} and
 * {@code Gelu}, which {@link OnnxFusions} also puts in place of their decomposed forms.
 * Hand-written: no maintained Java library translates ONNX graphs into TensorFlow graphs.
 */
final class OperatorTranslators {

	private static final Map<String, OperatorTranslator> STANDARD = Collections.unmodifiableMap(new TreeMap<>(Map
		.ofEntries(Map.entry("Add", DenseTranslators.binary((tf, a, b) -> tf.math.add(a, b), true)),
				Map.entry("Sub", DenseTranslators.binary((tf, a, b) -> tf.math.sub(a, b), false)),
				Map.entry("Mul", DenseTranslators.binary((tf, a, b) -> tf.math.mul(a, b), false)),
				Map.entry("Div", DenseTranslators.binary((tf, a, b) -> tf.math.div(a, b), false)),
				Map.entry("Pow", binary((tf, a, b) -> tf.math.pow(a, b))), Map.entry("Erf", DenseTranslators::erf),
				Map.entry("Gelu", DenseTranslators::gelu),
				Map.entry("LayerNormalization", DenseTranslators::layerNormalization),
				Map.entry("Sqrt", unary((tf, x) -> tf.math.sqrt(x))), Map.entry("Cast", OperatorTranslators::cast),
				Map.entry("Constant", OperatorTranslators::constant), Map.entry("Shape", ShapeTranslators::shape),
				Map.entry("Gather", ShapeTranslators::gather), Map.entry("Unsqueeze", ShapeTranslators::unsqueeze),
				Map.entry("Concat", ShapeTranslators::concat), Map.entry("Reshape", ShapeTranslators::reshape),
				Map.entry("Transpose", ShapeTranslators::transpose), Map.entry("Softmax", OperatorTranslators::softmax),
				Map.entry("ReduceMean", OperatorTranslators::reduceMean), Map.entry("MatMul", DenseTranslators::matMul),
				Map.entry("Slice", ShapeTranslators::slice))));

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

	@SuppressWarnings("unchecked")
	static <T extends TType> Operand<T> typed(Operand<?> operand) {
		return (Operand<T>) operand;
	}

	@SuppressWarnings({ "unchecked", "rawtypes" })
	static Operand numeric(Operand<?> operand) {
		return operand;
	}

}
