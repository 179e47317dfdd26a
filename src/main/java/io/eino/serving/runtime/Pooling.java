package io.eino.serving.runtime;

import java.util.Arrays;
import java.util.Locale;

/**
 * How an embedding model's output becomes one vector per text ({@code model.yaml}'s
 * {@code pooling} and {@code normalize}): the output is either one vector per text
 * already ({@link Mode#NONE}: the importer's {@code sentence_embedding}, or a
 * SavedModel's pooled output), or one vector per token
 * ({@code [batch, sequence, hidden]}, such as {@code last_hidden_state}), pooled here by
 * the mean of the text's real tokens (the attention mask's ones, as
 * sentence-transformers' {@code Pooling(mean)}) or by its first token ({@code [CLS]}).
 * Then, when asked, the vector is divided by its L2 norm (clamped at {@value #MIN_NORM},
 * as {@code torch.nn.functional.normalize}).
 *
 * @param mode how token vectors become one vector
 * @param normalize whether the vector is L2-normalised afterwards
 */
public record Pooling(Mode mode, boolean normalize) {

	/** As the output is: one vector per text, not normalised again. */
	public static final Pooling NONE = new Pooling(Mode.NONE, false);

	/** Smallest norm divided by. */
	static final float MIN_NORM = 1e-12f;

	/** How token vectors become one vector. */
	public enum Mode {

		/** The output holds one vector per text. */
		NONE,

		/** The mean of the real tokens' vectors. */
		MEAN,

		/** The first token's vector. */
		CLS;

		public static Mode of(String name) {
			return valueOf(name.trim().toUpperCase(Locale.ROOT));
		}

	}

	public Pooling {
		if (mode == null) {
			throw new IllegalArgumentException("pooling needs a mode: mean, cls or none");
		}
	}

	/** Whether the output this reads holds one vector per token (rank 3). */
	public boolean pools() {
		return this.mode != Mode.NONE;
	}

	/** Whether it leaves the output as the model computes it. */
	public boolean isIdentity() {
		return !pools() && !this.normalize;
	}

	/**
	 * One text's vector.
	 * @param values the text's slice of the output: its vector, or, when pooling, its
	 * {@code length} token vectors one after the other
	 * @param length the padded sequence length the slice holds (when pooling)
	 * @param mask the attention mask the text ran with, 1 for a real token
	 * @param maskOffset where the text's mask starts in {@code mask}
	 */
	public float[] apply(float[] values, int length, long[] mask, int maskOffset) {
		float[] vector = switch (this.mode) {
			case NONE -> values;
			case CLS -> Arrays.copyOf(values, values.length / length);
			case MEAN -> mean(values, length, mask, maskOffset);
		};
		return this.normalize ? normalized(vector) : vector;
	}

	private static float[] mean(float[] values, int length, long[] mask, int maskOffset) {
		int hidden = values.length / length;
		double[] sum = new double[hidden];
		long tokens = 0;
		for (int token = 0; token < length; token++) {
			if (maskOffset + token >= mask.length || mask[maskOffset + token] == 0) {
				continue;
			}
			tokens++;
			int start = token * hidden;
			for (int i = 0; i < hidden; i++) {
				sum[i] += values[start + i];
			}
		}
		float[] mean = new float[hidden];
		double count = Math.max(tokens, 1);
		for (int i = 0; i < hidden; i++) {
			mean[i] = (float) (sum[i] / count);
		}
		return mean;
	}

	private static float[] normalized(float[] vector) {
		double squares = 0;
		for (float value : vector) {
			squares += (double) value * value;
		}
		float norm = (float) Math.max(Math.sqrt(squares), MIN_NORM);
		float[] result = new float[vector.length];
		for (int i = 0; i < vector.length; i++) {
			result[i] = vector[i] / norm;
		}
		return result;
	}

}
