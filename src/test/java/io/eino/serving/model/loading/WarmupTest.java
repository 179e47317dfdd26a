package io.eino.serving.model.loading;

import java.util.List;

import io.eino.serving.batching.BatchCostModel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The batch cost model fitted to warm-up timings ({padded, real, nanos} per sample), for
 * the two kinds of graph: one that runs every position and one with packed tokens.
 */
class WarmupTest {

	@Test
	void aGraphThatRunsEveryPositionCostsPerPaddedTokenOnly() {
		// 3 ms + 40 µs per position, padding or not, with ±1 % noise.
		List<double[]> samples = List.of(sample(8, 8, 3.32e6), sample(256, 256, 13.1e6), sample(256, 128, 13.3e6),
				sample(32, 32, 4.3e6), sample(1024, 1024, 44.1e6), sample(1024, 512, 43.6e6));
		BatchCostModel cost = Warmup.fit(samples);
		assertThat(cost.nanosPerToken()).isLessThan(1_000);
		assertThat(cost.nanosPerPaddedToken()).isCloseTo(40_000, within(2_000.0));
		assertThat(cost.overheadNanos()).isCloseTo(3e6, within(0.5e6));
	}

	@Test
	void aPackedGraphCostsMostlyPerRealToken() {
		// 3 ms + 8 µs per position (attention) + 30 µs per real token.
		List<double[]> samples = List.of(sample(8, 8, 3.304e6), sample(256, 256, 12.73e6), sample(256, 128, 8.89e6),
				sample(1024, 1024, 41.9e6), sample(1024, 512, 26.6e6));
		BatchCostModel cost = Warmup.fit(samples);
		assertThat(cost.nanosPerPaddedToken()).isCloseTo(8_000, within(1_000.0));
		assertThat(cost.nanosPerToken()).isCloseTo(30_000, within(1_000.0));
		assertThat(cost.overheadNanos()).isCloseTo(3e6, within(0.2e6));
	}

	@Test
	void tooFewSamplesGiveTheDefaultGuess() {
		assertThat(Warmup.fit(List.of(sample(8, 8, 1e6)))).isEqualTo(BatchCostModel.DEFAULT);
	}

	private static double[] sample(double padded, double real, double nanos) {
		return new double[] { padded, real, nanos };
	}

}
