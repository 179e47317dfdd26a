package io.eino.serving.runtime;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Splitting tensors into rows and joining rows back, for every datatype: what batching
 * raw-tensor requests does to them.
 */
class TensorRowsTest {

	static List<HostTensor> tensors() {
		long[] shape = { 3, 2 };
		return List.of(new HostTensor.Bool(shape, new boolean[] { true, false, false, true, true, true }),
				new HostTensor.SmallInt(Datatype.UINT8, shape, new int[] { 0, 1, 2, 253, 254, 255 }),
				new HostTensor.SmallInt(Datatype.UINT16, shape, new int[] { 0, 1, 2, 65533, 65534, 65535 }),
				new HostTensor.Int32(shape, new int[] { -3, -2, -1, 1, 2, 3 }),
				new HostTensor.Int64(shape, new long[] { Long.MIN_VALUE, -1, 0, 1, 2, Long.MAX_VALUE }),
				new HostTensor.Half(Datatype.FP16, shape, new float[] { 0.5f, 1, 1.5f, 2, 2.5f, 3 }),
				new HostTensor.Half(Datatype.BF16, shape, new float[] { 0.5f, 1, 1.5f, 2, 2.5f, 3 }),
				new HostTensor.Float32(shape, new float[] { Float.NaN, 1, 2, 3, 4, Float.NEGATIVE_INFINITY }),
				new HostTensor.Float64(shape, new double[] { 1e300, -1e300, 0, 1, 2, 3 }), new HostTensor.Bytes(shape,
						new byte[][] { utf8("a"), utf8("b"), utf8(""), utf8("ü"), { (byte) 0xFF }, utf8("z") }));
	}

	@ParameterizedTest
	@MethodSource("tensors")
	void rowsJoinBackIntoTheTensor(HostTensor tensor) {
		List<HostTensor> rows = TensorRows.split(tensor);
		assertThat(rows).hasSize(3).allSatisfy((row) -> {
			assertThat(row.shape()).containsExactly(1, 2);
			assertThat(row.datatype()).isEqualTo(tensor.datatype());
		});
		HostTensor joined = TensorRows.concat(rows);
		assertThat(joined.shape()).containsExactly(3, 2);
		assertThat(joined.datatype()).isEqualTo(tensor.datatype());
		for (int i = 0; i < tensor.size(); i++) {
			assertThat(joined.element(i)).isEqualTo(tensor.element(i));
		}
		// Rows of two requests join as one batch.
		HostTensor twice = TensorRows.concat(List.of(tensor, joined));
		assertThat(twice.shape()).containsExactly(6, 2);
		assertThat(twice.element(11)).isEqualTo(tensor.element(5));
	}

	@Test
	void rowsOfDifferentShapesOrTypesDoNotJoin() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TensorRows.concat(List.of(new HostTensor.Int64(new long[] { 1, 2 }, new long[2]),
					new HostTensor.Int64(new long[] { 1, 3 }, new long[3]))));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TensorRows.concat(List.of(new HostTensor.Int64(new long[] { 1 }, new long[1]),
					new HostTensor.Int32(new long[] { 1 }, new int[1]))));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TensorRows.split(new HostTensor.Float32(new long[0], new float[] { 1 })));
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
