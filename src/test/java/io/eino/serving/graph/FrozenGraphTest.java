package io.eino.serving.graph;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.eino.serving.TestTags;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SavedModels with variables, as users bring them, served frozen when graph optimisation
 * is on ({@link FrozenGraph}) and as they are when a signature writes a variable.
 */
@Tag(TestTags.TENSORFLOW)
class FrozenGraphTest {

	@TempDir
	Path work;

	@Test
	void variablesReadByTheSignatureBecomeConstantsWithTheSameOutputs() throws Exception {
		Path model = export(false);
		HostTensor.Float32 input = new HostTensor.Float32(new long[] { 2, 3 }, new float[] { 1, 0, 0, 0, 1, 1 });
		try (SavedModelRunner asSaved = SavedModelRunner.load(model,
				SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false));
				SavedModelRunner frozen = SavedModelRunner.load(model, SessionSettings.DEFAULT)) {
			assertThat(asSaved.frozen()).isFalse();
			assertThat(frozen.frozen()).isTrue();
			float[] expected = y(asSaved, input);
			assertThat(expected).containsExactly(1, 2, 8, 10);
			assertThat(y(frozen, input)).containsExactly(expected);
			// Profiles and runs work on the frozen copy as on the bundle.
			assertThat(frozen.profile("serving_default", Map.of("x", input), List.of("y")).nodes()).isPositive();
		}
	}

	@Test
	void aSignatureThatWritesAVariableIsServedAsSaved() throws Exception {
		Path model = export(true);
		try (SavedModelRunner runner = SavedModelRunner.load(model, SessionSettings.DEFAULT)) {
			assertThat(runner.frozen()).isFalse();
		}
	}

	/**
	 * {@code y = x · w} (+ a counter the signature increments, when {@code counting}).
	 */
	private Path export(boolean counting) throws Exception {
		Path directory = this.work.resolve(counting ? "counting" : "plain");
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 3)));
			Variable<TFloat32> weights = tf.withName("w").variable(Shape.of(3, 2), TFloat32.class);
			Assign<TFloat32> init = tf.assign(weights, tf.constant(new float[][] { { 1, 2 }, { 3, 4 }, { 5, 6 } }));
			Operand<TFloat32> y = tf.linalg.matMul(x, weights);
			Variable<TFloat32> counter = tf.withName("counter").variable(Shape.scalar(), TFloat32.class);
			Assign<TFloat32> zero = tf.assign(counter, tf.constant(0f));
			if (counting) {
				y = tf.math.add(y, tf.math.mul(tf.assignAdd(counter, tf.constant(1f)), tf.constant(0f)));
			}
			Signature signature = Signature.builder()
				.key("serving_default")
				.input("x", x)
				.output("y", tf.withName("y").identity(y))
				.build();
			try (Session session = new Session(graph)) {
				session.runner().addTarget(init).addTarget(zero).run();
				SavedModelBundle.exporter(directory.toString()).withFunction(session.function(signature)).export();
			}
		}
		return directory;
	}

	private static float[] y(SavedModelRunner runner, HostTensor input) {
		return ((HostTensor.Float32) runner.run("serving_default", Map.of("x", input), List.of("y")).get("y")).values();
	}

}
