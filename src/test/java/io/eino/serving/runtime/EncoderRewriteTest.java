package io.eino.serving.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
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
		try (SavedModelRunner asSaved = SavedModelRunner.load(model,
				SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false));
				SavedModelRunner rewritten = SavedModelRunner.load(model, SessionSettings.DEFAULT)) {
			assertThat(rewritten.rewrites()).contains("3 LayerNorms as _MklLayerNorm", "5 biases onto their products",
					"1 GELUs in the fused form", "1 attention scales folded into their projections");
			HostTensor.Float32 input = input();
			float[] expected = y(asSaved, input);
			assertThat(maxDifference(expected, y(rewritten, input))).isLessThan(1e-4f);
			Map<String, Integer> ops = ops(rewritten, input);
			assertThat(ops).containsEntry("_MklLayerNorm", 3)
				.doesNotContainKeys("Erf", "Rsqrt", "Sqrt", "SquaredDifference", "Mean", "BiasAdd", "_MklMatMul", "Div",
						"RealDiv");
			// Each product ran as one fused node with its bias, the fourth with its GELU.
			assertThat(ops.getOrDefault("_MklNativeFusedMatMul", 0) + ops.getOrDefault("_FusedMatMul", 0)).isEqualTo(5);
		}
	}

	@Test
	void aLayerNormWhoseMeanASignatureFetchesIsLeftAsItIs() throws Exception {
		Path model = export(true);
		try (SavedModelRunner asSaved = SavedModelRunner.load(model,
				SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false));
				SavedModelRunner rewritten = SavedModelRunner.load(model, SessionSettings.DEFAULT)) {
			assertThat(rewritten.rewrites()).contains("2 LayerNorms as _MklLayerNorm");
			HostTensor.Float32 input = input();
			for (String output : List.of("y", "mean")) {
				assertThat(maxDifference(both(asSaved, input).get(output), both(rewritten, input).get(output)))
					.isLessThan(1e-4f);
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
			Placeholder<TFloat32> x = tf.withName("x")
				.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, FEATURES)));
			Weights weights = new Weights(tf);
			Operand<TFloat32> sum = tf.math.add(x, dense(tf, x, weights, FEATURES, false));
			Operand<TFloat32> mean = tf.math.mean(sum, tf.constant(new int[] { 2 }), Mean.keepDims(true));
			Operand<TFloat32> h = batchNormalization(tf, sum, mean, weights);
			Operand<TFloat32> attended = tf.math.add(h, attention(tf, h, weights));
			Operand<TFloat32> inner = dense(tf, attended, weights, HIDDEN, false);
			Operand<TFloat32> gelu = tf.math.mul(tf.math.mul(tf.constant(0.5f), inner),
					tf.math.add(tf.constant(1f), tf.math.erf(tf.math.div(inner, tf.constant((float) Math.sqrt(2))))));
			Operand<TFloat32> f = dense(tf, gelu, weights, FEATURES, true);
			Operand<TFloat32> y = centred(tf, centred(tf, tf.math.add(attended, f), weights, false), weights, true);
			Signature.Builder signature = Signature.builder()
				.key("serving_default")
				.input("x", x)
				.output("y", tf.withName("y").identity(y));
			if (fetchMean) {
				signature.output("mean", tf.withName("mean").identity(mean));
			}
			try (Session session = new Session(graph)) {
				Session.Runner init = session.runner();
				weights.initialisers.forEach(init::addTarget);
				init.run();
				SavedModelBundle.exporter(directory.toString())
					.withFunction(session.function(signature.build()))
					.export();
			}
		}
		return directory;
	}

	/**
	 * Self-attention as Hugging Face's TensorFlow BERT writes it: heads by reshape and
	 * transpose, {@code tf.matmul(q, k, transpose_b=True)} divided by √d.
	 */
	private Operand<TFloat32> attention(Ops tf, Operand<TFloat32> h, Weights weights) {
		Operand<TInt32> shape = tf.shape(h);
		Operand<TInt32> split = tf.stack(List.of(tf.gather(shape, tf.constant(0), tf.constant(0)),
				tf.gather(shape, tf.constant(1), tf.constant(0)), tf.constant(HEADS), tf.constant(FEATURES / HEADS)));
		Operand<TInt32> order = tf.constant(new int[] { 0, 2, 1, 3 });
		Operand<TFloat32> query = tf.linalg.transpose(tf.reshape(dense(tf, h, weights, FEATURES, false), split), order);
		Operand<TFloat32> key = tf.linalg.transpose(tf.reshape(dense(tf, h, weights, FEATURES, false), split), order);
		Operand<TFloat32> value = tf.linalg.transpose(tf.reshape(h, split), order);
		Operand<TFloat32> scores = tf.math.div(product(tf, query, key, true),
				tf.constant((float) Math.sqrt(FEATURES / HEADS)));
		return tf.reshape(tf.linalg.transpose(product(tf, tf.nn.softmax(scores), value, false), order), shape);
	}

	/** {@code tf.matmul} on rank-4 operands: {@code BatchMatMulV2}. */
	@SuppressWarnings("unchecked")
	private static Operand<TFloat32> product(Ops tf, Operand<TFloat32> x, Operand<TFloat32> y, boolean adjointY) {
		return (Operand<TFloat32>) (Operand<?>) tf.scope()
			.opBuilder("BatchMatMulV2", "attention_product")
			.addInput(x.asOutput())
			.addInput(y.asOutput())
			.setAttr("adj_y", adjointY)
			.build()
			.output(0);
	}

	/** Keras' Dense on a rank-3 input: a tensordot, then the bias. */
	private Operand<TFloat32> dense(Ops tf, Operand<TFloat32> x, Weights weights, int outputs, boolean addBias) {
		long inputs = x.shape().get(2);
		Operand<TInt32> free = tf.gather(tf.shape(x), tf.constant(new int[] { 0, 1 }), tf.constant(0));
		Operand<TFloat32> rows = tf.reshape(x,
				tf.stack(List.of(tf.prod(free, tf.constant(0)), tf.constant((int) inputs))));
		Operand<TFloat32> product = tf.linalg.matMul(rows, weights.of((int) inputs, outputs, 0.2f));
		Operand<TFloat32> back = tf.reshape(product,
				tf.concat(List.of(free, tf.constant(new int[] { outputs })), tf.constant(0)));
		Operand<TFloat32> bias = weights.of(outputs, 0.1f);
		return addBias ? tf.math.add(back, bias) : tf.nn.biasAdd(back, bias);
	}

	/**
	 * {@code tf.nn.batch_normalization(x, mean, var, β, γ, ε)} with {@code var} as
	 * {@code tf.nn.moments} computes it.
	 */
	private Operand<TFloat32> batchNormalization(Ops tf, Operand<TFloat32> x, Operand<TFloat32> mean, Weights weights) {
		Operand<TFloat32> variance = tf.math.mean(tf.math.squaredDifference(x, tf.stopGradient(mean)),
				tf.constant(new int[] { 2 }), Mean.keepDims(true));
		Operand<TFloat32> inv = tf.math.mul(tf.math.rsqrt(tf.math.add(variance, tf.constant(EPSILON))),
				weights.of(FEATURES, 1f));
		return tf.math.add(tf.math.mul(x, inv), tf.math.sub(weights.of(FEATURES, 0.1f), tf.math.mul(mean, inv)));
	}

	/** {@code (x − μ)·rsqrt(var + ε)·γ + β}, or {@code (x − μ)/√(var + ε)·γ + β}. */
	private Operand<TFloat32> centred(Ops tf, Operand<TFloat32> x, Weights weights, boolean divide) {
		Operand<TInt32> last = tf.constant(new int[] { -1 });
		Operand<TFloat32> centred = tf.math.sub(x, tf.math.mean(x, last, Mean.keepDims(true)));
		Operand<TFloat32> variance = tf.math.add(tf.math.mean(tf.math.square(centred), last, Mean.keepDims(true)),
				tf.constant(EPSILON));
		Operand<TFloat32> normalised = divide ? tf.math.div(centred, tf.math.sqrt(variance))
				: tf.math.mul(centred, tf.math.rsqrt(variance));
		return tf.math.add(tf.math.mul(normalised, weights.of(FEATURES, 1f)), weights.of(FEATURES, 0.1f));
	}

	/** Inputs of small variance, so that ε = 0.001 in place of 1e-12 would show. */
	private HostTensor.Float32 input() {
		float[] values = new float[3 * 5 * FEATURES];
		for (int i = 0; i < values.length; i++) {
			values[i] = (float) this.random.nextGaussian() * 0.01f;
		}
		return new HostTensor.Float32(new long[] { 3, 5, FEATURES }, values);
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

	/** Variables with random values, and the ops that set them before export. */
	private final class Weights {

		private final Ops tf;

		private final List<Op> initialisers = new ArrayList<>();

		Weights(Ops tf) {
			this.tf = tf;
		}

		Operand<TFloat32> of(int size, float around) {
			float[] values = new float[size];
			fill(values, (i) -> around + (float) EncoderRewriteTest.this.random.nextGaussian() * 0.1f);
			return variable(Shape.of(size), this.tf.constant(values));
		}

		Operand<TFloat32> of(int rows, int columns, float scale) {
			float[][] values = new float[rows][columns];
			for (float[] row : values) {
				fill(row, (i) -> (float) EncoderRewriteTest.this.random.nextGaussian() * scale);
			}
			return variable(Shape.of(rows, columns), this.tf.constant(values));
		}

		private Operand<TFloat32> variable(Shape shape, Operand<TFloat32> value) {
			Variable<TFloat32> variable = this.tf.variable(shape, TFloat32.class);
			this.initialisers.add(this.tf.assign(variable, value));
			return variable;
		}

		private static void fill(float[] values, Function<Integer, Float> value) {
			for (int i = 0; i < values.length; i++) {
				values[i] = value.apply(i);
			}
		}

	}

}
