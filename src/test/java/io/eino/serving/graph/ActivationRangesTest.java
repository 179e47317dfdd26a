package io.eino.serving.graph;

import java.util.LinkedHashMap;
import java.util.Map;

import io.eino.serving.runtime.SessionSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Calibrated ranges as session settings hold them: equal by content whatever the order
 * they were measured in (settings key the frozen graphs), copies out, and each product
 * input quantised under a scope of its own.
 */
class ActivationRangesTest {

	@Test
	void equalByContentInAnyOrder() {
		Map<String, float[]> first = new LinkedHashMap<>();
		first.put("a", new float[] { 1, 2 });
		first.put("b", new float[] { 3 });
		Map<String, float[]> second = new LinkedHashMap<>();
		second.put("b", new float[] { 3 });
		second.put("a", new float[] { 1, 2 });
		assertThat(new ActivationRanges(first)).isEqualTo(new ActivationRanges(second))
			.hasSameHashCodeAs(new ActivationRanges(second));
		assertThat(new ActivationRanges(first)).isNotEqualTo(new ActivationRanges(Map.of("a", new float[] { 1, 2 })))
			.isNotEqualTo(ActivationRanges.NONE);
		SessionSettings settings = SessionSettings.DEFAULT.withInt8(new ActivationRanges(first));
		assertThat(settings).isEqualTo(SessionSettings.DEFAULT.withInt8(new ActivationRanges(second)))
			.isNotEqualTo(SessionSettings.DEFAULT.withInt8());
	}

	@Test
	void handsOutCopies() {
		ActivationRanges ranges = new ActivationRanges(Map.of("a", new float[] { 1, 2 }));
		ranges.of("a")[0] = 9;
		ranges.asMap().get("a")[1] = 9;
		assertThat(ranges.of("a")).containsExactly(1, 2);
		assertThat(ranges.of("missing")).isNull();
	}

	@Test
	void everyProductInputIsQuantisedUnderAScopeOfItsOwn() {
		assertThat(Int8Input.name("encoder/LayerNorm")).isEqualTo("encoder/LayerNorm/int8_input");
		assertThat(Int8Input.name("encoder/LayerNorm:0")).isEqualTo("encoder/LayerNorm/int8_input");
		assertThat(Int8Input.name("split:1")).isEqualTo("split/int8_input_1").isNotEqualTo(Int8Input.name("split_1"));
	}

}
