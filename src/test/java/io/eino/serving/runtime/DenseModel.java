package io.eino.serving.runtime;

import java.nio.file.Path;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * A small SavedModel for the tests of optimised graphs: one signature, {@code x} [-1, 3]
 * in, {@code y} and {@code total} out, its weights in variables (so it is served frozen)
 * and a product, bias and ReLU that Grappler's remapper fuses.
 */
public final class DenseModel {

	private DenseModel() {
	}

	/**
	 * {@code y = relu(x · w + b)} and {@code total = Σ y} per row, weights in variables.
	 */
	public static Path export(Path directory) throws Exception {
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 3)));
			Variable<TFloat32> weights = tf.withName("w").variable(Shape.of(3, 2), TFloat32.class);
			Variable<TFloat32> bias = tf.withName("b").variable(Shape.of(2), TFloat32.class);
			Assign<TFloat32> initWeights = tf.assign(weights,
					tf.constant(new float[][] { { 1, -2 }, { 3, 4 }, { -5, 6 } }));
			Assign<TFloat32> initBias = tf.assign(bias, tf.constant(new float[] { 0.5f, -1 }));
			Operand<TFloat32> y = tf.nn.relu(tf.nn.biasAdd(tf.linalg.matMul(x, weights), bias));
			Signature signature = Signature.builder()
				.key("serving_default")
				.input("x", x)
				.output("y", tf.withName("y").identity(y))
				.output("total", tf.withName("total").sum(y, tf.constant(1)))
				.build();
			try (Session session = new Session(graph)) {
				session.runner().addTarget(initWeights).addTarget(initBias).run();
				SavedModelBundle.exporter(directory.toString()).withFunction(session.function(signature)).export();
			}
		}
		return directory;
	}

}
