package io.eino.serving.bench;

import io.eino.serving.graph.ActivationRanges;
import io.eino.serving.graph.Int8Rewrite;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * This machine's matrix-multiply peak in one precision (fp32, bf16 or int8), measured
 * with TensorFlow's own MatMul kernel (oneDNN's on this CPU build) on all cores: the best
 * of several {@code n × n} products. The roofline uses the peak of the precision the
 * service serves.
 */
final class MatmulPeak {

	private static final int SIZE = 2048;

	private static final int RUNS = 12;

	private MatmulPeak() {
	}

	/** Floating-point operations per second in fp32. */
	static double measure() {
		return measure("fp32");
	}

	/**
	 * Floating-point operations per second in {@code precision}: {@code fp32},
	 * {@code bf16} (bf16 inputs and product) or {@code int8} (the product as the
	 * service's int8 rewrite serves it: fp32 in and out, s8 × s8 inside, counted as the
	 * fp32 product's operations).
	 */
	static double measure(String precision) {
		if (precision.equals("int8")) {
			return measureInt8();
		}
		Class<? extends TNumber> type = precision.equals("bf16") ? TBfloat16.class : TFloat32.class;
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			Operand<? extends TNumber> a = tf.withName("a").placeholder(type);
			Operand<? extends TNumber> b = tf.withName("b").placeholder(type);
			matMul(tf, a, b);
			ConfigProto config = ConfigProto.newBuilder()
				.setIntraOpParallelismThreads(Runtime.getRuntime().availableProcessors())
				.setInterOpParallelismThreads(1)
				.build();
			try (Session session = new Session(graph, config);
					Tensor left = matrix(type, 31, 1, 7);
					Tensor right = matrix(type, 1, 17, 5)) {
				long best = Long.MAX_VALUE;
				for (int i = 0; i < RUNS; i++) {
					long started = System.nanoTime();
					try (Result result = session.runner().feed("a", left).feed("b", right).fetch("product").run()) {
						best = Math.min(best, System.nanoTime() - started);
					}
				}
				return 2.0 * SIZE * SIZE * SIZE / (best / 1e9);
			}
		}
	}

	private static double measureInt8() {
		GraphDef.Builder product = GraphDef.newBuilder();
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			Operand<TFloat32> a = tf.withName("a").placeholder(TFloat32.class);
			try (TFloat32 weights = (TFloat32) matrix(TFloat32.class, 1, 17, 5)) {
				tf.withName("product").linalg.matMul(a, tf.constantOf(weights));
			}
			product.mergeFrom(graph.toGraphDef());
		}
		GraphDef quantised = Int8Rewrite.rewrite(product.build(), ActivationRanges.NONE).graph();
		try (Graph graph = new Graph()) {
			graph.importGraphDef(quantised);
			ConfigProto config = ConfigProto.newBuilder()
				.setIntraOpParallelismThreads(Runtime.getRuntime().availableProcessors())
				.setInterOpParallelismThreads(1)
				.build();
			try (Session session = new Session(graph, config); Tensor left = matrix(TFloat32.class, 31, 1, 7)) {
				long best = Long.MAX_VALUE;
				for (int i = 0; i < RUNS; i++) {
					long started = System.nanoTime();
					try (Result result = session.runner().feed("a", left).fetch("product").run()) {
						best = Math.min(best, System.nanoTime() - started);
					}
				}
				return 2.0 * SIZE * SIZE * SIZE / (best / 1e9);
			}
		}
	}

	@SuppressWarnings("unchecked")
	private static <T extends TNumber> void matMul(Ops tf, Operand<? extends TNumber> a, Operand<? extends TNumber> b) {
		tf.withName("product").linalg.matMul((Operand<T>) a, (Operand<T>) b);
	}

	/** A {@code SIZE × SIZE} matrix of small fractions, in the given type. */
	private static Tensor matrix(Class<? extends TNumber> type, int rowFactor, int columnFactor, int modulus) {
		if (type == TBfloat16.class) {
			return TBfloat16.tensorOf(Shape.of(SIZE, SIZE),
					(data) -> data.scalars()
						.forEachIndexed((index, scalar) -> scalar
							.setFloat((index[0] * rowFactor + index[1] * columnFactor) % modulus / (float) modulus)));
		}
		return TFloat32.tensorOf(Shape.of(SIZE, SIZE),
				(data) -> data.scalars()
					.forEachIndexed((index, scalar) -> scalar
						.setFloat((index[0] * rowFactor + index[1] * columnFactor) % modulus / (float) modulus)));
	}

}
