package io.eino.serving.importer;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Sum;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The layers the importer adds on top of an encoder's {@code last_hidden_state}: masked
 * mean pooling and L2 normalisation (sentence-transformers' {@code Pooling(mean)} +
 * {@code Normalize}), and optionally a linear classification head with softmax.
 */
final class EncoderOutputs {

	/** Smallest token count in the mean, as sentence-transformers clamps it. */
	private static final float MIN_TOKEN_COUNT = 1e-9f;

	/** Smallest norm divided by, as {@code torch.nn.functional.normalize} clamps it. */
	private static final float MIN_NORM = 1e-12f;

	private EncoderOutputs() {
	}

	static Operand<TFloat32> sentenceEmbedding(Ops tf, Operand<TFloat32> hiddenStates, Operand<TInt64> attentionMask) {
		Operand<TFloat32> mask = tf.expandDims(tf.dtypes.cast(attentionMask, TFloat32.class), tf.constant(-1));
		Operand<TFloat32> summed = tf.sum(tf.math.mul(hiddenStates, mask), tf.constant(1));
		Operand<TFloat32> counts = tf.math.maximum(tf.sum(mask, tf.constant(1)), tf.constant(MIN_TOKEN_COUNT));
		Operand<TFloat32> mean = tf.math.div(summed, counts);
		Operand<TFloat32> norm = tf.math.sqrt(tf.sum(tf.math.square(mean), tf.constant(-1), Sum.keepDims(true)));
		return tf.math.div(mean, tf.math.maximum(norm, tf.constant(MIN_NORM)));
	}

	/** The head's linear layer, its weights as constants. */
	static Operand<TFloat32> logits(Ops tf, Operand<TFloat32> embedding, ClassifierHead head) {
		int labels = head.labels().size();
		int size = head.embeddingSize();
		float[] transposed = new float[size * labels];
		for (int label = 0; label < labels; label++) {
			for (int i = 0; i < size; i++) {
				transposed[i * labels + label] = head.weights()[label][i];
			}
		}
		Operand<TFloat32> weights = tf.withName("head_weights")
			.constant(Shape.of(size, labels), org.tensorflow.ndarray.buffer.DataBuffers.of(transposed));
		Operand<TFloat32> bias = tf.withName("head_bias").constant(head.bias());
		return tf.math.add(tf.linalg.matMul(embedding, weights), bias);
	}

	static Placeholder<TInt64> tokenInput(Ops tf, String name) {
		return tf.withName(name).placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
	}

}
