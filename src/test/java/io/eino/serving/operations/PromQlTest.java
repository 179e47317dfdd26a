package io.eino.serving.operations;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PromQlTest {

	@Test
	void theSignalsAreTheOperandsAndTheNonNumericSidesOfComparisons() {
		assertThat(PromQl.signals("a > (14.4 * 0.001) and (b{x=\"y and z\"}) > 2")).containsExactly("a",
				"b{x=\"y and z\"}");
	}

	@Test
	void theSignalOfAbsentIsWhatItWatches() {
		assertThat(PromQl.signals("max by (job) (up{job=\"e\"}) < 1 or absent(up{job=\"e\"})"))
			.containsExactly("max by (job) (up{job=\"e\"})", "up{job=\"e\"}");
		assertThat(PromQl.signals("absent(a) + absent(b)")).containsExactly("absent(a) + absent(b)");
	}

}
