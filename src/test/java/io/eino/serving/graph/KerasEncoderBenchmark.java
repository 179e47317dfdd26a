package io.eino.serving.graph;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import io.eino.serving.KerasForms;
import io.eino.serving.graph.EncoderRewrite;
import io.eino.serving.graph.FrozenGraph;
import io.eino.serving.graph.GraphIndex;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.runtime.SessionSettings;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
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

	private static final float EPSILON = 1e-12f;

	private KerasEncoderBenchmark() {
	}

	public static void main(String[] arguments) throws Exception {
		Path directory = Path.of((arguments.length > 0) ? arguments[0] : "target/keras-encoder");
		if (!Files.exists(directory.resolve("saved_model.pb"))) {
			export(directory);
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

	private static void export(Path directory) throws Exception {
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			KerasForms keras = new KerasForms(tf, 3);
			Placeholder<TInt32> ids = keras.tokens("input_ids", TInt32.class);
			Placeholder<TInt32> mask = keras.tokens("attention_mask", TInt32.class);
			Operand<TFloat32> hidden = keras.layerNorm(keras.embeddings(ids, null, FEATURES), FEATURES, EPSILON);
			Operand<TFloat32> maskBias = keras.maskBias(mask);
			for (int layer = 0; layer < LAYERS; layer++) {
				hidden = keras.encoderLayer(hidden, maskBias, FEATURES, HEADS, INNER, EPSILON);
			}
			keras.export(graph,
					Signature.builder()
						.key("serving_default")
						.input("input_ids", ids)
						.input("attention_mask", mask)
						.output("last_hidden_state", tf.withName("last_hidden_state").identity(hidden))
						.build(),
					directory);
		}
	}

}
