package io.eino.serving.runtime;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.eino.serving.TensorModels;
import io.eino.serving.TestTags;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every datatype TensorFlow Java has, in and out of a real session: the host tensors
 * become TensorFlow tensors of the signature's types and come back with their values.
 */
@Tag(TestTags.TENSORFLOW)
class DatatypesTest {

	private static final Path REPOSITORY = Path.of("target", "tensor-models").toAbsolutePath();

	private static SavedModelRunner mixed;

	private static SavedModelRunner pixels;

	@BeforeAll
	static void load() {
		TensorModels.install(REPOSITORY);
		mixed = SavedModelRunner.load(REPOSITORY.resolve(TensorModels.MIXED + "/1"), SessionSettings.DEFAULT);
		pixels = SavedModelRunner.load(REPOSITORY.resolve(TensorModels.PIXELS + "/1"), SessionSettings.DEFAULT);
	}

	@AfterAll
	static void close() {
		mixed.close();
		pixels.close();
	}

	@Test
	void signaturesDescribeTheirDatatypes() {
		SignatureSpec types = mixed.signatures().get("types");
		assertThat(types.inputs()).extracting(TensorSpec::name, TensorSpec::datatype)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("flag", Datatype.BOOL),
					org.assertj.core.groups.Tuple.tuple("half", Datatype.FP16),
					org.assertj.core.groups.Tuple.tuple("small", Datatype.INT32),
					org.assertj.core.groups.Tuple.tuple("u16", Datatype.UINT16),
					org.assertj.core.groups.Tuple.tuple("u8", Datatype.UINT8),
					org.assertj.core.groups.Tuple.tuple("weight", Datatype.FP64));
		assertThat(mixed.signatures().get("serving_default").inputs()).extracting(TensorSpec::datatype)
			.containsExactly(Datatype.INT64, Datatype.BYTES);
		assertThat(pixels.signatures().get("serving_default").inputs().get(0).shape()).containsExactly(-1, 4, 4, 3);
	}

	@Test
	void everyDatatypeGoesInAndComesBack() {
		long[] two = { 2 };
		Map<String, HostTensor> outputs = mixed.run("types",
				Map.of("flag", new HostTensor.Bool(two, new boolean[] { true, false }), "small",
						new HostTensor.Int32(two, new int[] { -5, Integer.MAX_VALUE - 1 }), "weight",
						new HostTensor.Float64(two, new double[] { 1e300, -3.0 }), "half",
						new HostTensor.Half(Datatype.FP16, two, new float[] { 1.5f, -0.25f }), "u8",
						new HostTensor.SmallInt(Datatype.UINT8, two, new int[] { 0, 255 }), "u16",
						new HostTensor.SmallInt(Datatype.UINT16, two, new int[] { 1, 65535 })),
				List.of("flag_not", "small_plus_one", "weight_halved", "half_doubled", "u8_same", "u16_same"));
		assertThat(((HostTensor.Bool) outputs.get("flag_not")).values()).containsExactly(false, true);
		assertThat(((HostTensor.Int32) outputs.get("small_plus_one")).values()).containsExactly(-4, Integer.MAX_VALUE);
		assertThat(((HostTensor.Float64) outputs.get("weight_halved")).values()).containsExactly(5e299, -1.5);
		HostTensor.Half half = (HostTensor.Half) outputs.get("half_doubled");
		assertThat(half.datatype()).isEqualTo(Datatype.FP16);
		assertThat(half.values()).containsExactly(3f, -0.5f);
		assertThat(outputs.get("u8_same")).isInstanceOfSatisfying(HostTensor.SmallInt.class,
				(u8) -> assertThat(u8.values()).containsExactly(0, 255));
		assertThat(outputs.get("u16_same")).isInstanceOfSatisfying(HostTensor.SmallInt.class,
				(u16) -> assertThat(u16.values()).containsExactly(1, 65535));
	}

	@Test
	void stringsAndIntegers() {
		byte[] notUtf8 = { (byte) 0xFF, 0x00, 'x' };
		Map<String, HostTensor> outputs = mixed.run("serving_default",
				Map.of("name", new HostTensor.Bytes(new long[] { 2 }, new byte[][] { utf8("Ada"), notUtf8 }), "count",
						new HostTensor.Int64(new long[] { 2 }, new long[] { 21, Long.MIN_VALUE / 2 })),
				List.of("greeting", "count_doubled"));
		byte[][] greetings = ((HostTensor.Bytes) outputs.get("greeting")).values();
		assertThat(new String(greetings[0], StandardCharsets.UTF_8)).isEqualTo("hello Ada");
		assertThat(greetings[1]).endsWith(notUtf8);
		assertThat(((HostTensor.Int64) outputs.get("count_doubled")).values()).containsExactly(42, Long.MIN_VALUE);
	}

	@Test
	void imageShapedFloats() {
		float[] values = new float[2 * 4 * 4 * 3];
		java.util.Arrays.fill(values, 0, 48, 0.25f);
		java.util.Arrays.fill(values, 48, 96, 0.75f);
		Map<String, HostTensor> outputs = pixels.run("serving_default",
				Map.of("image", new HostTensor.Float32(new long[] { 2, 4, 4, 3 }, values)),
				List.of("brightness", "bright"));
		assertThat(((HostTensor.Float32) outputs.get("brightness")).values()).containsExactly(0.25f, 0.75f);
		assertThat(((HostTensor.Bool) outputs.get("bright")).values()).containsExactly(false, true);
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
