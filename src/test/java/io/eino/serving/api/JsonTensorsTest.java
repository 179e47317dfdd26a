package io.eino.serving.api;

import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Tensors from JSON as TF Serving reads them: NaN and ±Infinity are float values. */
class JsonTensorsTest {

	@Test
	void nanAndInfinityAreFloat32Values() {
		JsonMapper json = JsonMapper.builder()
			.enable(tools.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
			.build();
		HostTensor tensor = JsonTensors.fromFlat("x", json.readTree("[NaN, Infinity, -Infinity, 1.5, 1e300]"),
				new long[] { 5 }, Datatype.FP32);
		float[] values = ((HostTensor.Float32) tensor).values();
		assertThat(values[0]).isNaN();
		assertThat(values[1]).isEqualTo(Float.POSITIVE_INFINITY);
		assertThat(values[2]).isEqualTo(Float.NEGATIVE_INFINITY);
		assertThat(values[3]).isEqualTo(1.5f);
		assertThat(values[4]).as("beyond float32's range").isEqualTo(Float.POSITIVE_INFINITY);
	}

}
