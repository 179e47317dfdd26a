package io.eino.serving.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.math.Mean;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The encoder rewrites for SavedModels users bring, measured (docs/engine.md, "Encoder
 * rewrites for SavedModels you bring"; run by {@code bench/keras-encoder.sh}). Exports a
 * MiniLM-sized encoder (6 layers, 384 features, 12 heads of 32, 1536 inner; random
 * weights) written in the op forms Keras gives a SavedModel: {@code tensordot} products
 * with the bias after the reshape, {@code tf.nn.gelu}, LayerNorm through
 * {@code tf.nn.moments} and {@code tf.nn.batch_normalization} with ε = 1e-12. Then runs a
 * batch of 8 × 32 tokens on the frozen graph four ways, interleaved in rounds: with no
 * graph optimisation, with Grappler alone, with {@link EncoderRewrite} then Grappler, and
 * that in bf16 (oneDNN's rewrite, as the startup step tries it); prints the rewrites,
 * each way's largest difference from the first, and each round's times.
 */
public final class KerasEncoderBenchmark {

	private static final int LAYERS = 6;

	private static final int FEATURES = 384;

	private static final int HEADS = 12;

	private static final int INNER = 1536;

	private static final int ROWS = 8;

	private static final int TOKENS = 32;

	private static final int ROUNDS = 7;

	private static final int RUNS = 10;

	private final Random random = new Random(3);

	private final List<Op> initialisers = new ArrayList<>();

	private Ops tf;

	private int products;

	private KerasEncoderBenchmark() {
	}

	public static void main(String[] arguments) throws Exception {
		Path directory = Path.of((arguments.length > 0) ? arguments[0] : "target/keras-encoder");
		if (!Files.exists(directory.resolve("saved_model.pb"))) {
			new KerasEncoderBenchmark().export(directory);
		}
		measure(directory);
	}

	private static void measure(Path directory) {
		SessionSettings settings = SessionSettings.DEFAULT;
		try (SavedModelBundle bundle = SavedModelBundle.loader(directory.toString()).withTags("serve").load()) {
			Collection<SignatureDef> signatures = bundle.metaGraphDef().getSignatureDefMap().values();
			GraphDef frozen = FrozenGraph
				.freeze(bundle.graph().toGraphDef(), bundle.session(), signatures, new StringBuilder())
				.graph();
			SignatureDef signature = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
			String ids = signature.getInputsMap().get("input_ids").getName();
			String mask = signature.getInputsMap().get("attention_mask").getName();
			String output = signature.getOutputsMap().get("last_hidden_state").getName();
			Set<String> kept = new HashSet<>();
			List.of(ids, mask, output).forEach((name) -> kept.add(GraphIndex.nodeName(name)));
			EncoderRewrite.Result rewritten = EncoderRewrite.rewrite(frozen, kept);
			System.out.println("encoder rewrites: " + rewritten.describe());
			String[] names = { "no graph optimisation", "Grappler alone", "encoder rewrites + Grappler",
					"encoder rewrites + Grappler + bf16" };
			GraphDef[] graphs = { frozen, frozen, rewritten.graph(), rewritten.graph() };
			SessionSettings[] configurations = { settings.withOptimization(GraphOptimization.NONE, false), settings,
					settings, settings.withOptimization(GraphOptimization.DEFAULT, true) };
			List<Graph> opened = new ArrayList<>();
			List<Session> sessions = new ArrayList<>();
			int[][] tokens = new int[ROWS][TOKENS];
			int[][] ones = new int[ROWS][TOKENS];
			Random random = new Random(11);
			for (int row = 0; row < ROWS; row++) {
				Arrays.setAll(tokens[row], (i) -> random.nextInt(30000));
				Arrays.fill(ones[row], 1);
			}
			try (TInt32 idTensor = TInt32.tensorOf(StdArrays.ndCopyOf(tokens));
					TInt32 maskTensor = TInt32.tensorOf(StdArrays.ndCopyOf(ones))) {
				for (int i = 0; i < names.length; i++) {
					Graph graph = new Graph();
					graph.importGraphDef(graphs[i]);
					opened.add(graph);
					sessions.add(new Session(graph, configurations[i].toConfigProto()));
				}
				float[] reference = run(sessions.get(0), ids, idTensor, mask, maskTensor, output);
				for (int i = 1; i < names.length; i++) {
					float[] values = run(sessions.get(i), ids, idTensor, mask, maskTensor, output);
					float difference = 0;
					for (int k = 0; k < values.length; k++) {
						difference = Math.max(difference, Math.abs(values[k] - reference[k]));
					}
					System.out.printf("%s: largest difference from the graph as saved %.3g%n", names[i], difference);
				}
				for (int round = 1; round <= ROUNDS; round++) {
					StringBuilder line = new StringBuilder("round " + round + ":");
					for (int i = 0; i < names.length; i++) {
						for (int warm = 0; warm < 3; warm++) {
							run(sessions.get(i), ids, idTensor, mask, maskTensor, output);
						}
						long start = System.nanoTime();
						for (int run = 0; run < RUNS; run++) {
							run(sessions.get(i), ids, idTensor, mask, maskTensor, output);
						}
						line.append(String.format("  %s %.2f ms", names[i], (System.nanoTime() - start) / 1e6 / RUNS));
					}
					System.out.println(line);
				}
			}
			finally {
				sessions.forEach(Session::close);
				opened.forEach(Graph::close);
			}
		}
	}

	private static float[] run(Session session, String ids, TInt32 idTensor, String mask, TInt32 maskTensor,
			String output) {
		try (Result result = session.runner().feed(ids, idTensor).feed(mask, maskTensor).fetch(output).run()) {
			TFloat32 values = (TFloat32) result.get(0);
			float[] copy = new float[(int) values.size()];
			values.asRawTensor().data().asFloats().read(copy);
			return copy;
		}
	}

	private void export(Path directory) throws Exception {
		try (Graph graph = new Graph()) {
			this.tf = Ops.create(graph);
			Ops tf = this.tf;
			Placeholder<TInt32> ids = tf.withName("input_ids")
				.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
			Placeholder<TInt32> mask = tf.withName("attention_mask")
				.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
			Operand<TInt32> rows = tf.gather(tf.shape(ids), tf.constant(0), tf.constant(0));
			Operand<TInt32> length = tf.gather(tf.shape(ids), tf.constant(1), tf.constant(0));
			Operand<TFloat32> positions = tf.slice(weights(Shape.of(512, FEATURES), 0.05f, 0),
					tf.constant(new int[] { 0, 0 }), tf.stack(List.of(length, tf.constant(-1))));
			Operand<TFloat32> hidden = layerNorm(
					tf.math.add(tf.gather(weights(Shape.of(30522, FEATURES), 0.05f, 0), ids, tf.constant(0)),
							tf.expandDims(positions, tf.constant(0))));
			Operand<TFloat32> keys = tf.dtypes.cast(mask, TFloat32.class);
			Operand<TFloat32> maskBias = tf.math.mul(
					tf.math.sub(tf.constant(1f),
							tf.reshape(keys, tf.stack(List.of(rows, tf.constant(1), tf.constant(1), length)))),
					tf.constant(-10000f));
			for (int layer = 0; layer < LAYERS; layer++) {
				Operand<TFloat32> query = heads(dense(hidden, FEATURES, FEATURES), rows, length);
				Operand<TFloat32> key = heads(dense(hidden, FEATURES, FEATURES), rows, length);
				Operand<TFloat32> value = heads(dense(hidden, FEATURES, FEATURES), rows, length);
				Operand<TFloat32> scores = tf.math.div(batchProduct(query, key, true),
						tf.constant((float) Math.sqrt(FEATURES / HEADS)));
				Operand<TFloat32> weights = tf.nn.softmax(tf.math.add(scores, maskBias));
				Operand<TFloat32> context = tf.reshape(
						tf.linalg.transpose(batchProduct(weights, value, false), tf.constant(new int[] { 0, 2, 1, 3 })),
						tf.stack(List.of(rows, length, tf.constant(FEATURES))));
				hidden = layerNorm(tf.math.add(dense(context, FEATURES, FEATURES), hidden));
				Operand<TFloat32> inner = dense(hidden, FEATURES, INNER);
				Operand<TFloat32> gelu = tf.math.mul(tf.math.mul(tf.constant(0.5f), inner), tf.math.add(tf.constant(1f),
						tf.math.erf(tf.math.div(inner, tf.constant((float) Math.sqrt(2))))));
				hidden = layerNorm(tf.math.add(dense(gelu, INNER, FEATURES), hidden));
			}
			Signature signature = Signature.builder()
				.key("serving_default")
				.input("input_ids", ids)
				.input("attention_mask", mask)
				.output("last_hidden_state", tf.withName("last_hidden_state").identity(hidden))
				.build();
			try (Session session = new Session(graph)) {
				Session.Runner init = session.runner();
				this.initialisers.forEach(init::addTarget);
				init.run();
				SavedModelBundle.exporter(directory.toString()).withFunction(session.function(signature)).export();
			}
		}
	}

	/** Keras' Dense on a rank-3 input: a tensordot, then the bias. */
	private Operand<TFloat32> dense(Operand<TFloat32> x, int inputs, int outputs) {
		Ops tf = this.tf;
		Operand<TInt32> free = tf.gather(tf.shape(x), tf.constant(new int[] { 0, 1 }), tf.constant(0));
		Operand<TFloat32> rows = tf.reshape(x, tf.stack(List.of(tf.prod(free, tf.constant(0)), tf.constant(inputs))));
		Operand<TFloat32> product = tf.linalg.matMul(rows, weights(Shape.of(inputs, outputs), 0.05f, 0));
		Operand<TFloat32> back = tf.reshape(product,
				tf.concat(List.of(free, tf.constant(new int[] { outputs })), tf.constant(0)));
		return tf.nn.biasAdd(back, weights(Shape.of(outputs), 0.02f, 0));
	}

	/** Keras 2's LayerNormalization with ε = 1e-12: moments, then batch_normalization. */
	private Operand<TFloat32> layerNorm(Operand<TFloat32> x) {
		Ops tf = this.tf;
		Operand<TFloat32> mean = tf.math.mean(x, tf.constant(new int[] { 2 }), Mean.keepDims(true));
		Operand<TFloat32> variance = tf.math.mean(tf.math.squaredDifference(x, tf.stopGradient(mean)),
				tf.constant(new int[] { 2 }), Mean.keepDims(true));
		Operand<TFloat32> inv = tf.math.mul(tf.math.rsqrt(tf.math.add(variance, tf.constant(1e-12f))),
				weights(Shape.of(FEATURES), 0.05f, 1));
		return tf.math.add(tf.math.mul(x, inv),
				tf.math.sub(weights(Shape.of(FEATURES), 0.05f, 0), tf.math.mul(mean, inv)));
	}

	/** {@code [rows, length, features]} → {@code [rows, heads, length, depth]}. */
	private Operand<TFloat32> heads(Operand<TFloat32> x, Operand<TInt32> rows, Operand<TInt32> length) {
		Ops tf = this.tf;
		Operand<TInt32> shape = tf.stack(List.of(rows, length, tf.constant(HEADS), tf.constant(FEATURES / HEADS)));
		return tf.linalg.transpose(tf.reshape(x, shape), tf.constant(new int[] { 0, 2, 1, 3 }));
	}

	/** {@code tf.matmul} on rank-4 operands: {@code BatchMatMulV2}. */
	@SuppressWarnings("unchecked")
	private Operand<TFloat32> batchProduct(Operand<TFloat32> x, Operand<TFloat32> y, boolean adjointY) {
		return (Operand<TFloat32>) (Operand<?>) this.tf.scope()
			.opBuilder("BatchMatMulV2", "attention_product_" + (this.products++))
			.addInput(x.asOutput())
			.addInput(y.asOutput())
			.setAttr("adj_y", adjointY)
			.build()
			.output(0);
	}

	private Operand<TFloat32> weights(Shape shape, float scale, float around) {
		float[] values = new float[(int) shape.size()];
		for (int i = 0; i < values.length; i++) {
			values[i] = around + (float) this.random.nextGaussian() * scale;
		}
		Variable<TFloat32> variable = this.tf.variable(shape, TFloat32.class);
		this.initialisers.add(
				this.tf.assign(variable, this.tf.reshape(this.tf.constant(values), this.tf.constant(shape.asArray()))));
		return variable;
	}

}
