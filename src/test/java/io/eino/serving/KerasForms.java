package io.eino.serving;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

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
import org.tensorflow.types.family.TNumber;

/**
 * Encoder layers written with TensorFlow Java in the op forms Keras 2 and TensorFlow's
 * Python ops give a SavedModel, for the tests and measurements of the startup step's
 * encoder rewrites (docs/engine.md, "Encoder rewrites for SavedModels you bring"):
 * {@code Dense} on a rank-3 input as a tensordot with the bias after the reshape,
 * {@code LayerNormalization} through {@code tf.nn.moments} and
 * {@code tf.nn.batch_normalization}, {@code tf.nn.gelu}, and self-attention as Hugging
 * Face's TensorFlow BERT writes it (scores divided by √d). Weights are variables with
 * seeded random values, set before export.
 */
public final class KerasForms {

	private final Ops tf;

	private final Random random;

	private final List<Op> initialisers = new ArrayList<>();

	private int products;

	public KerasForms(Ops tf, long seed) {
		this.tf = tf;
		this.random = new Random(seed);
	}

	/** A variable of {@code shape}, values {@code around ± scale} (normal). */
	public Operand<TFloat32> weights(Shape shape, float scale, float around) {
		float[] values = new float[(int) shape.size()];
		for (int i = 0; i < values.length; i++) {
			values[i] = around + (float) this.random.nextGaussian() * scale;
		}
		Variable<TFloat32> variable = this.tf.variable(shape, TFloat32.class);
		this.initialisers.add(
				this.tf.assign(variable, this.tf.reshape(this.tf.constant(values), this.tf.constant(shape.asArray()))));
		return variable;
	}

	/**
	 * Keras' Dense on a rank-3 input: a tensordot, then the bias ({@code addBias}:
	 * AddV2).
	 */
	public Operand<TFloat32> dense(Operand<TFloat32> x, int inputs, int outputs, boolean addBias) {
		Ops tf = this.tf;
		Operand<TInt32> free = tf.gather(tf.shape(x), tf.constant(new int[] { 0, 1 }), tf.constant(0));
		Operand<TFloat32> rows = tf.reshape(x, tf.stack(List.of(tf.prod(free, tf.constant(0)), tf.constant(inputs))));
		Operand<TFloat32> product = tf.linalg.matMul(rows, weights(Shape.of(inputs, outputs), 0.05f, 0));
		Operand<TFloat32> back = tf.reshape(product,
				tf.concat(List.of(free, tf.constant(new int[] { outputs })), tf.constant(0)));
		Operand<TFloat32> bias = weights(Shape.of(outputs), 0.02f, 0);
		return addBias ? tf.math.add(back, bias) : tf.nn.biasAdd(back, bias);
	}

	/**
	 * Keras 2's LayerNormalization for ε below 1.001e-5: moments, then
	 * batch_normalization.
	 */
	public Operand<TFloat32> layerNorm(Operand<TFloat32> x, int features, float epsilon) {
		return layerNorm(x, mean(x), features, epsilon);
	}

	/**
	 * The mean over the last axis of a rank-3 {@code x}, as {@code tf.nn.moments} takes
	 * it.
	 */
	public Operand<TFloat32> mean(Operand<TFloat32> x) {
		return this.tf.math.mean(x, this.tf.constant(new int[] { 2 }), Mean.keepDims(true));
	}

	/**
	 * {@link #layerNorm(Operand, int, float)} around a {@code mean} of {@code x} given.
	 */
	public Operand<TFloat32> layerNorm(Operand<TFloat32> x, Operand<TFloat32> mean, int features, float epsilon) {
		Ops tf = this.tf;
		Operand<TFloat32> variance = tf.math.mean(tf.math.squaredDifference(x, tf.stopGradient(mean)),
				tf.constant(new int[] { 2 }), Mean.keepDims(true));
		Operand<TFloat32> inv = tf.math.mul(tf.math.rsqrt(tf.math.add(variance, tf.constant(epsilon))),
				weights(Shape.of(features), 0.05f, 1));
		return tf.math.add(tf.math.mul(x, inv),
				tf.math.sub(weights(Shape.of(features), 0.05f, 0), tf.math.mul(mean, inv)));
	}

	/**
	 * Word and position embeddings (and token-type ones, when {@code types} is not null)
	 * of token ids {@code [rows, length]}, summed as BERT does: {@code [rows, length,
	 * features]}.
	 */
	public Operand<TFloat32> embeddings(Operand<? extends TNumber> ids, Operand<? extends TNumber> types,
			int features) {
		Ops tf = this.tf;
		Operand<TInt32> length = tf.gather(tf.shape(ids), tf.constant(1), tf.constant(0));
		Operand<TFloat32> positions = tf.slice(weights(Shape.of(512, features), 0.05f, 0),
				tf.constant(new int[] { 0, 0 }), tf.stack(List.of(length, tf.constant(-1))));
		Operand<TFloat32> sum = tf.math.add(
				tf.gather(weights(Shape.of(30522, features), 0.05f, 0), ids, tf.constant(0)),
				tf.expandDims(positions, tf.constant(0)));
		return (types == null) ? sum
				: tf.math.add(sum, tf.gather(weights(Shape.of(2, features), 0.05f, 0), types, tf.constant(0)));
	}

	/** {@code (1 − mask)·−10000} as {@code [rows, 1, 1, length]}, added to the scores. */
	public Operand<TFloat32> maskBias(Operand<? extends TNumber> mask) {
		Ops tf = this.tf;
		Operand<TInt32> shape = tf.shape(mask);
		Operand<TInt32> split = tf.stack(List.of(tf.gather(shape, tf.constant(0), tf.constant(0)), tf.constant(1),
				tf.constant(1), tf.gather(shape, tf.constant(1), tf.constant(0))));
		return tf.math.mul(tf.math.sub(tf.constant(1f), tf.reshape(tf.dtypes.cast(mask, TFloat32.class), split)),
				tf.constant(-10000f));
	}

	/** A token input {@code [rows, length]} of {@code type}, named {@code name}. */
	public <T extends TNumber> Placeholder<T> tokens(String name, Class<T> type) {
		return this.tf.withName(name).placeholder(type, Placeholder.shape(Shape.of(-1, -1)));
	}

	/**
	 * One BERT layer, LayerNorm after each residual: attention, then the feed-forward
	 * {@code dense(gelu(dense(·)))} of width {@code inner}.
	 */
	public Operand<TFloat32> encoderLayer(Operand<TFloat32> hidden, Operand<TFloat32> maskBias, int features, int heads,
			int inner, float epsilon) {
		Ops tf = this.tf;
		Operand<TFloat32> attended = layerNorm(tf.math.add(attention(hidden, maskBias, features, heads), hidden),
				features, epsilon);
		Operand<TFloat32> expanded = gelu(dense(attended, features, inner, false));
		return layerNorm(tf.math.add(dense(expanded, inner, features, false), attended), features, epsilon);
	}

	/** {@code tf.nn.gelu(x)}: {@code 0.5·x·(1 + erf(x/√2))}. */
	public Operand<TFloat32> gelu(Operand<TFloat32> x) {
		Ops tf = this.tf;
		return tf.math.mul(tf.math.mul(tf.constant(0.5f), x),
				tf.math.add(tf.constant(1f), tf.math.erf(tf.math.div(x, tf.constant((float) Math.sqrt(2))))));
	}

	/**
	 * Self-attention and its output projection, {@code [rows, length, features]} in and
	 * out: heads by reshape and transpose, {@code tf.matmul(q, k, transpose_b=True)}
	 * divided by √d, plus {@code maskBias} ({@code [rows, 1, 1, length]}), softmax.
	 */
	public Operand<TFloat32> attention(Operand<TFloat32> hidden, Operand<TFloat32> maskBias, int features, int heads) {
		Ops tf = this.tf;
		Operand<TInt32> shape = tf.shape(hidden);
		Operand<TInt32> split = tf.stack(List.of(tf.gather(shape, tf.constant(0), tf.constant(0)),
				tf.gather(shape, tf.constant(1), tf.constant(0)), tf.constant(heads), tf.constant(features / heads)));
		Operand<TInt32> order = tf.constant(new int[] { 0, 2, 1, 3 });
		List<Operand<TFloat32>> qkv = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			qkv.add(tf.linalg.transpose(tf.reshape(dense(hidden, features, features, false), split), order));
		}
		Operand<TFloat32> scores = tf.math.div(batchProduct(qkv.get(0), qkv.get(1), true),
				tf.constant((float) Math.sqrt(features / heads)));
		Operand<TFloat32> weights = tf.nn.softmax(tf.math.add(scores, maskBias));
		Operand<TFloat32> context = tf.reshape(tf.linalg.transpose(batchProduct(weights, qkv.get(2), false), order),
				shape);
		return dense(context, features, features, false);
	}

	/** {@code tf.matmul} on rank-4 operands: {@code BatchMatMulV2}. */
	@SuppressWarnings("unchecked")
	public Operand<TFloat32> batchProduct(Operand<TFloat32> x, Operand<TFloat32> y, boolean adjointY) {
		return (Operand<TFloat32>) (Operand<?>) this.tf.scope()
			.opBuilder("BatchMatMulV2", "attention_product_" + (this.products++))
			.addInput(x.asOutput())
			.addInput(y.asOutput())
			.setAttr("adj_y", adjointY)
			.build()
			.output(0);
	}

	/**
	 * Sets the weights and exports {@code signature} of {@code graph} to
	 * {@code directory}.
	 */
	public void export(Graph graph, Signature signature, Path directory) throws java.io.IOException {
		try (Session session = new Session(graph)) {
			Session.Runner init = session.runner();
			this.initialisers.forEach(init::addTarget);
			init.run();
			SavedModelBundle.exporter(directory.toString()).withFunction(session.function(signature)).export();
		}
	}

}
