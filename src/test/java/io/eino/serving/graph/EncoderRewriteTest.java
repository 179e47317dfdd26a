package io.eino.serving.graph;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import io.eino.serving.KerasForms;
import io.eino.serving.TestTags;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.OpProfile;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An encoder block written in the forms Keras and TensorFlow's Python ops give a
 * SavedModel (tensordot products with the bias after the reshape, {@code tf.nn.gelu},
 * LayerNorm through {@code tf.nn.moments} and {@code tf.nn.batch_normalization} with
 * BERT's ε = 1e-12, centred LayerNorms, attention's scores divided by √d), served through
 * {@link EncoderRewrite}: the same outputs as the graph as saved, every LayerNorm one
 * oneDNN node, every product one fused node with its bias (and GELU), no division left.
 */
@Tag(TestTags.TENSORFLOW)
class EncoderRewriteTest {

	private static final int FEATURES = 32;

	private static final int HIDDEN = 64;

	private static final int HEADS = 4;

	private static final float EPSILON = 1e-12f;

	@TempDir
	Path work;

	private final Random random = new Random(7);

	@Test
	void kerasFormsBecomeFusedNodesWithTheOutputsOfTheGraphAsSaved() throws Exception {
		Path model = export(false);
		try (SavedModelRunner asSaved = asSaved(model);
				SavedModelRunner rewritten = SavedModelRunner.load(model, SessionSettings.DEFAULT)) {
			assertThat(rewritten.rewrites()).contains("3 LayerNorms as _MklLayerNorm", "7 biases onto their products",
					"1 GELUs in the fused form", "1 attention scales folded into their projections");
			HostTensor.Float32 input = input();
			float[] expected = y(asSaved, input);
			assertThat(maxDifference(expected, y(rewritten, input))).isLessThan(1e-4f);
			Map<String, Integer> ops = ops(rewritten, input);
			assertThat(ops).containsEntry("_MklLayerNorm", 3)
				.doesNotContainKeys("Erf", "Rsqrt", "Sqrt", "SquaredDifference", "Mean", "BiasAdd", "_MklMatMul", "Div",
						"RealDiv");
			// Each product ran as one fused node with its bias, the sixth with its GELU.
			assertThat(ops.getOrDefault("_MklNativeFusedMatMul", 0) + ops.getOrDefault("_FusedMatMul", 0)).isEqualTo(7);
		}
	}

	@Test
	void aLayerNormWhoseMeanASignatureFetchesIsLeftAsItIs() throws Exception {
		Path model = export(true);
		try (SavedModelRunner asSaved = asSaved(model);
				SavedModelRunner rewritten = SavedModelRunner.load(model, SessionSettings.DEFAULT)) {
			assertThat(rewritten.rewrites()).contains("2 LayerNorms as _MklLayerNorm");
			HostTensor.Float32 input = input();
			Map<String, float[]> expected = both(asSaved, input);
			Map<String, float[]> actual = both(rewritten, input);
			for (String output : List.of("y", "mean")) {
				assertThat(maxDifference(expected.get(output), actual.get(output))).isLessThan(1e-4f);
			}
			assertThat(rewritten.profile("serving_default", Map.of("x", input), List.of("y", "mean")).ops())
				.anySatisfy((op) -> assertThat(op.op()).isEqualTo("Rsqrt"));
		}
	}

	/**
	 * {@code h = LN₁(x + dense₁(x))}, {@code a = h + attention(h)},
	 * {@code f = dense₃(gelu(dense₂(a)))}, {@code y = LN₃(LN₂(a + f))}: LN₁ through
	 * moments, LN₂ centred with {@code rsqrt}, LN₃ centred with a division; dense₃'s bias
	 * an {@code AddV2}. With {@code fetchMean}, the signature also answers LN₁'s mean.
	 */
	private Path export(boolean fetchMean) throws Exception {
		Path directory = this.work.resolve(fetchMean ? "fetching" : "plain");
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			KerasForms keras = new KerasForms(tf, 7);
			Placeholder<TFloat32> x = tf.withName("x")
				.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, FEATURES)));
			Operand<TFloat32> sum = tf.math.add(x, keras.dense(x, FEATURES, FEATURES, false));
			Operand<TFloat32> mean = keras.mean(sum);
			Operand<TFloat32> h = keras.layerNorm(sum, mean, FEATURES, EPSILON);
			Operand<TFloat32> attended = tf.math.add(h, keras.attention(h, tf.constant(0f), FEATURES, HEADS));
			Operand<TFloat32> inner = keras.gelu(keras.dense(attended, FEATURES, HIDDEN, false));
			Operand<TFloat32> f = keras.dense(inner, HIDDEN, FEATURES, true);
			Operand<TFloat32> y = centred(keras, centred(keras, tf.math.add(attended, f), false), true);
			Signature.Builder signature = Signature.builder()
				.key("serving_default")
				.input("x", x)
				.output("y", tf.withName("y").identity(y));
			if (fetchMean) {
				signature.output("mean", tf.withName("mean").identity(mean));
			}
			keras.export(graph, signature.build(), directory);
		}
		return directory;
	}

	/** {@code (x − μ)·rsqrt(var + ε)·γ + β}, or {@code (x − μ)/√(var + ε)·γ + β}. */
	private static Operand<TFloat32> centred(KerasForms keras, Operand<TFloat32> x, boolean divide) {
		Ops tf = Ops.create(x.env());
		Operand<TInt32> last = tf.constant(new int[] { -1 });
		Operand<TFloat32> centred = tf.math.sub(x, tf.math.mean(x, last, Mean.keepDims(true)));
		Operand<TFloat32> variance = tf.math.add(tf.math.mean(tf.math.square(centred), last, Mean.keepDims(true)),
				tf.constant(EPSILON));
		Operand<TFloat32> normalised = divide ? tf.math.div(centred, tf.math.sqrt(variance))
				: tf.math.mul(centred, tf.math.rsqrt(variance));
		return tf.math.add(tf.math.mul(normalised, keras.weights(Shape.of(FEATURES), 0.1f, 1f)),
				keras.weights(Shape.of(FEATURES), 0.1f, 0.1f));
	}

	/** Inputs of small variance, so that ε = 0.001 in place of 1e-12 would show. */
	private HostTensor.Float32 input() {
		float[] values = new float[3 * 5 * FEATURES];
		for (int i = 0; i < values.length; i++) {
			values[i] = (float) this.random.nextGaussian() * 0.01f;
		}
		return new HostTensor.Float32(new long[] { 3, 5, FEATURES }, values);
	}

	/** The graph as saved, with no graph optimisation. */
	private static SavedModelRunner asSaved(Path model) {
		return SavedModelRunner.load(model, SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false));
	}

	private static float[] y(SavedModelRunner runner, HostTensor input) {
		return ((HostTensor.Float32) runner.run("serving_default", Map.of("x", input), List.of("y")).get("y")).values();
	}

	private static Map<String, float[]> both(SavedModelRunner runner, HostTensor input) {
		Map<String, HostTensor> outputs = runner.run("serving_default", Map.of("x", input), List.of("y", "mean"));
		return Map.of("y", ((HostTensor.Float32) outputs.get("y")).values(), "mean",
				((HostTensor.Float32) outputs.get("mean")).values());
	}

	private static Map<String, Integer> ops(SavedModelRunner runner, HostTensor input) {
		return runner.profile("serving_default", Map.of("x", input), List.of("y"))
			.ops()
			.stream()
			.collect(Collectors.toMap(OpProfile.OpTime::op, OpProfile.OpTime::nodes));
	}

	private static float maxDifference(float[] a, float[] b) {
		assertThat(b).hasSameSizeAs(a);
		float max = 0;
		for (int i = 0; i < a.length; i++) {
			max = Math.max(max, Math.abs(a[i] - b[i]));
		}
		return max;
	}

}
