package io.eino.serving.graph;

import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import io.eino.serving.TestTags;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A feed-forward block as the importer writes one (products with their bias after them,
 * an erf GELU, two products reading one input), quantised by {@link Int8Rewrite} and run
 * by TensorFlow: one fused int8 product per product and bias, one quantisation per input,
 * the GELU's output quantised unsigned, and outputs within int8's rounding of fp32's;
 * with an outlier channel in the input, calibrated smoothing makes them closer still.
 */
@Tag(TestTags.TENSORFLOW)
class Int8RewriteTest {

	private static final int FEATURES = 96;

	private static final int HIDDEN = 128;

	private static final int OUTPUTS = 80;

	private static final int ROWS = 48;

	private final Random random = new Random(11);

	@Test
	void everyProductAndItsBiasBecomeOneInt8ProductWithInputsQuantisedOnce() {
		GraphDef graph = block();
		Int8Rewrite.Result result = Int8Rewrite.rewrite(graph, ActivationRanges.NONE);
		assertThat(result.products()).isEqualTo(3);
		assertThat(result.describe()).isEqualTo("3 weight products in int8 (0 inputs smoothed, 1 GELU outputs lifted)");
		Map<String, Long> ops = result.graph()
			.getNodeList()
			.stream()
			.collect(Collectors.groupingBy(NodeDef::getOp, Collectors.counting()));
		assertThat(ops).containsEntry("_QuantizedMatMul", 3L).containsEntry("QuantizeV2", 2L);
		assertThat(ops).doesNotContainKeys("MatMul", "BiasAdd");
		assertThat(result.graph().getNodeList()).filteredOn((node) -> node.getOp().equals("_QuantizedMatMul"))
			.extracting(NodeDef::getName)
			.containsExactlyInAnyOrder("hidden", "projected", "skipped");
		assertThat(result.graph().getNodeList()).filteredOn((node) -> node.getOp().equals("QuantizeV2"))
			.extracting((node) -> node.getInput(0) + " " + node.getAttrOrThrow("T").getType())
			.containsExactlyInAnyOrder("x " + DataType.DT_QINT8, "gelu/int8_input/lifted " + DataType.DT_QUINT8);
		assertThat(Int8Rewrite.productInputs(graph)).containsExactly("x", "gelu");
	}

	@Test
	void outputsStayWithinInt8RoundingAndSmoothingTamesAnOutlierChannel() {
		GraphDef graph = block();
		float[] x = input();
		float[] expected = run(graph, x, "out");
		ActivationRanges ranges = new ActivationRanges(
				Map.of("x", channelMaxima(x, FEATURES), "gelu", channelMaxima(run(graph, x, "gelu"), HIDDEN)));
		double plain = relativeError(expected,
				run(Int8Rewrite.rewrite(graph, ActivationRanges.NONE).graph(), x, "out"));
		Int8Rewrite.Result calibrated = Int8Rewrite.rewrite(graph, ranges);
		assertThat(calibrated.smoothed()).isEqualTo(2);
		double smoothed = relativeError(expected, run(calibrated.graph(), x, "out"));
		assertThat(plain).isLessThan(0.1);
		assertThat(smoothed).isLessThan(0.03).isLessThan(plain / 2);
	}

	/** x → (product, bias, GELU, product, bias) + (product, bias) of x. */
	private GraphDef block() {
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
			Operand<TFloat32> hidden = tf.withName("hidden").nn
				.biasAdd(tf.linalg.matMul(x, constant(tf, FEATURES, HIDDEN)), constant(tf, HIDDEN));
			Operand<TFloat32> erf = tf.math.erf(tf.math.mul(hidden, tf.constant(0.70710678f)));
			// h · (0.5 · (1 + erf(h / √2))), as the importer writes it
			Operand<TFloat32> half = tf.math.mul(tf.math.add(erf, tf.constant(1f)), tf.constant(0.5f));
			Operand<TFloat32> gelu = tf.withName("gelu").math.mul(half, hidden);
			Operand<TFloat32> projected = tf.withName("projected").nn
				.biasAdd(tf.linalg.matMul(gelu, constant(tf, HIDDEN, OUTPUTS)), constant(tf, OUTPUTS));
			Operand<TFloat32> skipped = tf.withName("skipped").nn
				.biasAdd(tf.linalg.matMul(x, constant(tf, FEATURES, OUTPUTS)), constant(tf, OUTPUTS));
			tf.withName("out").math.add(projected, skipped);
			return graph.toGraphDef();
		}
	}

	private Operand<TFloat32> constant(Ops tf, long... shape) {
		int size = (int) Shape.of(shape).size();
		float[] values = new float[size];
		for (int i = 0; i < size; i++) {
			values[i] = (float) (this.random.nextGaussian() * 0.1);
		}
		return tf.constant(Shape.of(shape), DataBuffers.of(values));
	}

	/** Gaussian rows, channel 5 forty times the others (as LayerNorm outputs have). */
	private float[] input() {
		float[] x = new float[ROWS * FEATURES];
		for (int i = 0; i < x.length; i++) {
			x[i] = (float) this.random.nextGaussian() * ((i % FEATURES == 5) ? 40 : 1);
		}
		return x;
	}

	private static float[] run(GraphDef definition, float[] x, String fetch) {
		try (Graph graph = new Graph()) {
			graph.importGraphDef(definition);
			try (Session session = new Session(graph);
					TFloat32 input = TFloat32.tensorOf(Shape.of(ROWS, FEATURES), DataBuffers.of(x));
					Result result = session.runner().feed("x", input).fetch(fetch).run()) {
				TFloat32 output = (TFloat32) result.get(0);
				float[] values = new float[(int) output.size()];
				output.asRawTensor().data().asFloats().read(values);
				return values;
			}
		}
	}

	private static float[] channelMaxima(float[] values, int channels) {
		float[] maxima = new float[channels];
		for (int i = 0; i < values.length; i++) {
			maxima[i % channels] = Math.max(maxima[i % channels], Math.abs(values[i]));
		}
		return maxima;
	}

	/** The largest difference, relative to the largest expected value. */
	private static double relativeError(float[] expected, float[] actual) {
		double largest = 0;
		double difference = 0;
		for (int i = 0; i < expected.length; i++) {
			largest = Math.max(largest, Math.abs(expected[i]));
			difference = Math.max(difference, Math.abs(expected[i] - actual[i]));
		}
		return difference / largest;
	}

}
