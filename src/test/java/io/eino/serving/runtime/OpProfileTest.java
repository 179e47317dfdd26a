package io.eino.serving.runtime;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.sentiment.DefaultModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A step trace of the default model, by op type: the graph as imported and after
 * Grappler, whose rewrites show as op types of their own.
 */
@Tag(TestTags.TENSORFLOW)
class OpProfileTest {

	@Test
	void accountsForTheTimeOfEveryNodeByOpType() {
		Map<String, HostTensor> batch = Map.of("input_ids", tokens(2000), "attention_mask", tokens(1), "token_type_ids",
				tokens(0));
		java.nio.file.Path version = TestModels.repository().resolve(DefaultModel.NAME + "/" + DefaultModel.VERSION);
		OpProfile imported;
		try (SavedModelRunner runner = SavedModelRunner.load(version,
				SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false))) {
			imported = runner.profile("serving_default", batch, List.of("probabilities"));
		}
		OpProfile optimised;
		try (SavedModelRunner runner = SavedModelRunner.load(version,
				SessionSettings.DEFAULT.withOptimization(GraphOptimization.DEFAULT, false))) {
			optimised = runner.profile("serving_default", batch, List.of("probabilities"));
		}
		System.out.println("imported " + imported.nodes() + " nodes " + imported.millis() + " ms: " + imported.top(12));
		System.out
			.println("optimised " + optimised.nodes() + " nodes " + optimised.millis() + " ms: " + optimised.top(12));
		assertThat(imported.nodes()).isGreaterThan(300);
		assertThat(imported.millis()).isPositive();
		// The matrix products (oneDNN's, as TensorFlow's CPU build rewrites them) take
		// most time.
		assertThat(imported.top(1).get(0).op()).contains("MatMul");
		// The importer's LayerNorms run as one fused node each; Grappler fuses every
		// product with its bias, so BiasAdd is gone after it.
		assertThat(imported.fusedNodes()).isEqualTo(13);
		assertThat(imported.ops()).extracting(OpProfile.OpTime::op).contains("_MklLayerNorm", "BiasAdd");
		assertThat(optimised.ops()).extracting(OpProfile.OpTime::op).doesNotContain("BiasAdd");
		assertThat(optimised.fusedNodes()).isGreaterThanOrEqualTo(13 + 36);
		assertThat(imported.ops().stream().mapToDouble(OpProfile.OpTime::millis).sum()).isCloseTo(imported.millis(),
				org.assertj.core.data.Offset.offset(1e-6));
		assertThat(optimised.nodes()).isLessThan(imported.nodes());
	}

	private static HostTensor tokens(long value) {
		long[] values = new long[8 * 32];
		Arrays.fill(values, value);
		return new HostTensor.Int64(new long[] { 8, 32 }, values);
	}

}
