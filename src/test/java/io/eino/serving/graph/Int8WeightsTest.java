package io.eino.serving.graph;

import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The arithmetic of an int8 product: per-channel weight scales, smoothing that leaves the
 * product unchanged, and the lift of a GELU's output given back by the bias.
 */
class Int8WeightsTest {

	private static final int ROWS = 6;

	private static final int COLUMNS = 4;

	private final Random random = new Random(3);

	@Test
	void weightsAreQuantisedPerOutputChannel() {
		float[] weights = weights();
		weights[1] = 2.5f; // column 1's largest
		for (int row = 0; row < ROWS; row++) {
			weights[row * COLUMNS + 3] = 0; // an all-zero column
		}
		Int8Weights int8 = Int8Weights.of(weights, ROWS, COLUMNS, null, null, 0);
		assertThat(int8.scales()[1]).isEqualTo(2.5f);
		assertThat(int8.scales()[3]).isEqualTo(1f);
		assertThat(int8.quantised()[1]).isEqualTo((byte) 127);
		for (int i = 0; i < weights.length; i++) {
			float back = int8.quantised()[i] * int8.scales()[i % COLUMNS] / 127;
			assertThat(back).isCloseTo(weights[i], within(int8.scales()[i % COLUMNS] / 254 + 1e-7f));
		}
		assertThat(int8.bias()).containsOnly(0f);
	}

	@Test
	void smoothingAndLiftLeaveTheProductUnchanged() {
		float[] weights = weights();
		float[] bias = { 0.5f, -1f, 0.25f, 2f };
		float[] x = { 0.3f, -0.1f, 12f, 0.02f, -0.17f, 1f };
		float[] activations = { 0.5f, 0.2f, 30f, 0.1f, 0.2f, 2f };
		float[] rowMaxima = new float[ROWS];
		Int8Weights.rowMaxima(weights, COLUMNS, rowMaxima);
		float[] smoothing = Int8Weights.smoothing(activations, rowMaxima);
		float lift = Int8Rewrite.GELU_FLOOR;
		Int8Weights int8 = Int8Weights.of(weights, ROWS, COLUMNS, smoothing, bias, lift);
		for (int column = 0; column < COLUMNS; column++) {
			double expected = bias[column];
			double rewritten = int8.bias()[column];
			for (int row = 0; row < ROWS; row++) {
				expected += x[row] * weights[row * COLUMNS + column];
				float smoothedInput = (x[row] + lift) / smoothing[row];
				float weight = int8.quantised()[row * COLUMNS + column] * int8.scales()[column] / 127;
				rewritten += smoothedInput * weight;
			}
			assertThat(rewritten).isCloseTo(expected, within(0.05));
		}
	}

	@Test
	void smoothingMovesAnOutlierChannelIntoTheWeights() {
		float[] factors = Int8Weights.smoothing(new float[] { 1f, 30f, 0f }, new float[] { 0.1f, 0.1f, 0.1f });
		assertThat(factors[1] / factors[0]).isCloseTo((float) Math.pow(30, Int8Weights.SMOOTHING), within(1e-3f));
		assertThat(factors[2]).isPositive().isFinite();
	}

	private float[] weights() {
		float[] weights = new float[ROWS * COLUMNS];
		for (int i = 0; i < weights.length; i++) {
			weights[i] = (float) this.random.nextGaussian() * 0.3f;
		}
		return weights;
	}

}
