package io.eino.serving.runtime;

import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one datatype vocabulary: wire names read exactly as the Open Inference Protocol
 * spells them, TensorFlow types map both ways, and what is served is what TensorFlow Java
 * has tensors for.
 */
class DatatypeTest {

	@Test
	void wireNamesAreReadExactlyAsSpelled() {
		assertThat(Datatype.named("FP32")).isEqualTo(Datatype.FP32);
		assertThat(Datatype.named("BYTES")).isEqualTo(Datatype.BYTES);
		assertThat(Datatype.named("fp32")).as("the protocol's names are upper case").isNull();
		assertThat(Datatype.named("FLOAT")).isNull();
		assertThat(Datatype.named(null)).isNull();
	}

	@Test
	void tensorFlowTypesMapBothWays() {
		for (Datatype datatype : Datatype.values()) {
			assertThat(Datatype.of(datatype.tensorFlow())).isEqualTo(datatype);
		}
		assertThat(Datatype.of(DataType.DT_FLOAT)).isEqualTo(Datatype.FP32);
		assertThat(Datatype.of(DataType.DT_STRING)).isEqualTo(Datatype.BYTES);
		assertThat(Datatype.of(DataType.DT_COMPLEX64)).as("no protocol name").isNull();
	}

	@Test
	void servedAreThoseTensorFlowJavaHasTensorsFor() {
		assertThat(Datatype.servedNames()).containsExactly("BF16", "BOOL", "BYTES", "FP16", "FP32", "FP64", "INT32",
				"INT64", "UINT16", "UINT8");
		assertThat(Datatype.INT8.served()).isFalse();
		assertThat(Datatype.UINT64.served()).isFalse();
	}

}
