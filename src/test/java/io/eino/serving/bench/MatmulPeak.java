package io.eino.serving.bench;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * This machine's float32 matrix-multiply peak, measured with TensorFlow's own MatMul
 * kernel on all cores: the best of several {@code n × n} products.
 */
final class MatmulPeak {

	private static final int SIZE = 2048;

	private static final int RUNS = 12;

	private MatmulPeak() {
	}

	/** Floating-point operations per second. */
	static double measure() {
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			Operand<TFloat32> a = tf.withName("a").placeholder(TFloat32.class);
			Operand<TFloat32> b = tf.withName("b").placeholder(TFloat32.class);
			tf.withName("product").linalg.matMul(a, b);
			ConfigProto config = ConfigProto.newBuilder()
				.setIntraOpParallelismThreads(Runtime.getRuntime().availableProcessors())
				.setInterOpParallelismThreads(1)
				.build();
			try (Session session = new Session(graph, config);
					TFloat32 left = TFloat32.tensorOf(Shape.of(SIZE, SIZE), (data) -> data.scalars()
						.forEachIndexed((index, scalar) -> scalar.setFloat((index[0] * 31 + index[1]) % 7 / 7f)));
					TFloat32 right = TFloat32.tensorOf(Shape.of(SIZE, SIZE), (data) -> data.scalars()
						.forEachIndexed((index, scalar) -> scalar.setFloat((index[0] + index[1] * 17) % 5 / 5f)))) {
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

}
