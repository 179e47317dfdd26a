package io.eino.serving.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.eino.serving.runtime.Datatype;
import io.eino.serving.validation.InvalidInputException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The binary tensor data extension's element encodings, and its framing refused with the
 * rule and what was wrong.
 */
class BinaryTensorsTest {

	@Test
	void elementsAreReadLittleEndianInEachDatatype() {
		assertThat(decode(Datatype.FP16, 0x3c00, 0xc000, 0x3555).toString()).isEqualTo("[1.0,-2.0,0.33325195]");
		assertThat(decode(Datatype.BF16, 0x3f80, 0xc040).toString()).isEqualTo("[1.0,-3.0]");
		assertThat(BinaryTensors.decode(Datatype.UINT64, le(8).putLong(-1L).flip(), "x").toString())
			.isEqualTo("[18446744073709551615]");
		assertThat(BinaryTensors.decode(Datatype.BOOL, ByteBuffer.wrap(new byte[] { 0, 1, 2 }), "x").toString())
			.isEqualTo("[false,true,true]");
		assertThat(BinaryTensors.decode(Datatype.INT32, le(8).putInt(-7).putInt(9).flip(), "x").toString())
			.isEqualTo("[-7,9]");
		assertThat(BinaryTensors.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
		assertThat(BinaryTensors.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
	}

	@Test
	void framingThatDoesNotAddUpIsRefused() {
		assertThatExceptionOfType(InvalidInputException.class)
			.isThrownBy(() -> BinaryTensors.decode(Datatype.FP32, ByteBuffer.wrap(new byte[6]), "image"))
			.withMessageContaining("not a whole number of FP32 elements");
		assertThatExceptionOfType(InvalidInputException.class)
			.isThrownBy(() -> BinaryTensors.decode(Datatype.BYTES, le(6).putInt(9).flip(), "text"))
			.withMessageContaining("runs past its data");
		byte[] json = "{\"inputs\":[]}".getBytes();
		byte[] extra = java.util.Arrays.copyOf(json, json.length + 3);
		assertThatExceptionOfType(InvalidInputException.class)
			.isThrownBy(() -> BinaryTensors.request(extra, Integer.toString(json.length)))
			.withMessageContaining("3 bytes follow the JSON request");
		assertThatExceptionOfType(InvalidInputException.class).isThrownBy(() -> BinaryTensors.request(json, "999"))
			.withMessageContaining("Inference-Header-Content-Length");
	}

	private static Object decode(Datatype datatype, int... halves) {
		ByteBuffer bytes = le(2 * halves.length);
		for (int half : halves) {
			bytes.putShort((short) half);
		}
		return BinaryTensors.decode(datatype, bytes.flip(), "x");
	}

	private static ByteBuffer le(int size) {
		return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
	}

}
