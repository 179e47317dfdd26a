package io.eino.serving.importer;

import java.util.LinkedHashMap;
import java.util.Map;

import io.eino.serving.TestTags;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The packing of {@link TranslationContext} on a real TensorFlow session: the rows a
 * broadcast operand meets at each real token, and the checks that refuse token inputs or
 * operands of another shape. (The whole packed encoder is checked against ONNX Runtime by
 * {@link OnnxImporterParityTest}.)
 */
@Tag(TestTags.TENSORFLOW)
class PackedTokensTest {

	/** Two texts padded to 3 tokens; the second has 2 real ones. */
	private static final long[][] MASK = { { 1, 1, 1 }, { 1, 1, 0 } };

	@Test
	void broadcastOperandsGiveEachRealTokenTheRowItMeets() {
		// [1, sequence, 2]: position p of either text meets row p.
		assertThat(packed(new float[][][] { { { 0, 1 }, { 2, 3 }, { 4, 5 } } }, MASK))
			.isEqualTo(new float[][] { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 0, 1 }, { 2, 3 } });
		// [batch, 1, 2]: every token of a text meets its text's row.
		assertThat(packed(new float[][][] { { { 7, 7 } }, { { 9, 9 } } }, MASK))
			.isEqualTo(new float[][] { { 7, 7 }, { 7, 7 }, { 7, 7 }, { 9, 9 }, { 9, 9 } });
		// [batch, sequence, 2]: its own row, padding skipped.
		float[][][] full = { { { 1, 0 }, { 2, 0 }, { 3, 0 } }, { { 4, 0 }, { 5, 0 }, { 6, 0 } } };
		assertThat(packed(full, MASK)).isEqualTo(new float[][] { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 }, { 5, 0 } });
	}

	@Test
	void anOperandThatDoesNotBroadcastFailsTheRun() {
		float[][][] twoPositions = { { { 0, 1 }, { 2, 3 } } };
		assertThatThrownBy(() -> packed(twoPositions, MASK)).isInstanceOf(TFInvalidArgumentException.class)
			.hasMessageContaining("added to token activations");
	}

	@Test
	void tokenIdsOfAnotherShapeThanTheMaskFailTheRun() {
		try (Graph graph = new Graph(); Session session = new Session(graph)) {
			Ops tf = Ops.create(graph);
			TranslationContext context = new TranslationContext(tf);
			Placeholder<TInt64> mask = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
			Placeholder<TInt64> ids = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
			context.packTokens(mask, new LinkedHashMap<>(Map.of("input_ids", ids)));
			Operand<TInt64> positions = context.tokens().orElseThrow().positions();
			try (TInt64 maskValue = TInt64.tensorOf(StdArrays.ndCopyOf(MASK));
					TInt64 longer = TInt64
						.tensorOf(StdArrays.ndCopyOf(new long[][] { { 1, 2, 3, 4 }, { 1, 2, 3, 4 } }));
					TInt64 same = TInt64.tensorOf(StdArrays.ndCopyOf(new long[][] { { 1, 2, 3 }, { 1, 2, 3 } }))) {
				assertThatThrownBy(
						() -> session.runner().feed(mask, maskValue).feed(ids, longer).fetch(positions).run())
					.isInstanceOf(TFInvalidArgumentException.class)
					.hasMessageContaining("must have the shape of attention_mask");
				try (Result result = session.runner().feed(mask, maskValue).feed(ids, same).fetch(positions).run()) {
					assertThat(result.get(0).shape()).isEqualTo(Shape.of(5, 1));
				}
			}
		}
	}

	@Test
	void headsComeFromPackedRowsWithZeroPaddingAndGoBack() {
		try (Graph graph = new Graph(); Session session = new Session(graph)) {
			Ops tf = Ops.create(graph);
			TranslationContext context = new TranslationContext(tf);
			context.packTokens(tf.constant(MASK), new LinkedHashMap<>());
			Packing packing = context.packing().orElseThrow();
			// 5 real tokens, 2 heads of depth 2: token t's row is t·10 + (0, 1, 2, 3).
			float[][] rows = new float[5][4];
			for (int t = 0; t < 5; t++) {
				for (int j = 0; j < 4; j++) {
					rows[t][j] = t * 10 + j;
				}
			}
			Operand<TType> packed = OperatorTranslators.typed(tf.constant(rows));
			Operand<TType> heads = packing.unpack(packed, 2, 2, tf.constant(new long[] { 2, 3, 2, 2 }));
			Operand<TType> back = packing.pack(heads, 2, 2, tf.constant(new long[] { 2, 3, 4 }));
			try (Result result = session.runner().fetch(heads).fetch(back).run()) {
				float[][][][] split = StdArrays.array4dCopyOf((TFloat32) result.get(0));
				// [text, head, position, depth]: text 1, head 1, position 1 is token 4's
				// values 2 and 3; the padded position 2 of text 1 is zero.
				assertThat(split[1][1][1]).containsExactly(42, 43);
				assertThat(split[0][0][2]).containsExactly(20, 21);
				assertThat(split[1][0][2]).containsExactly(0, 0);
				assertThat(StdArrays.array2dCopyOf((TFloat32) result.get(1))).isEqualTo(rows);
			}
			Operand<TType> wrong = packing.unpack(packed, 2, 2, tf.constant(new long[] { 2, 4, 2, 2 }));
			assertThatThrownBy(() -> session.runner().fetch(wrong).run().close())
				.isInstanceOf(TFInvalidArgumentException.class)
				.hasMessageContaining("split into attention heads");
		}
	}

	/** {@link Packing#broadcastRows} of {@code value} under {@code mask}. */
	private static float[][] packed(float[][][] value, long[][] mask) {
		try (Graph graph = new Graph(); Session session = new Session(graph)) {
			Ops tf = Ops.create(graph);
			TranslationContext context = new TranslationContext(tf);
			context.packTokens(tf.constant(mask), new LinkedHashMap<>());
			Operand<TType> operand = OperatorTranslators
				.typed(tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, value[0][0].length))));
			Operand<TType> rows = context.packing().orElseThrow().broadcastRows(operand, value[0][0].length);
			try (TFloat32 input = TFloat32.tensorOf(StdArrays.ndCopyOf(value));
					Result result = session.runner().feed(operand, input).fetch(rows).run()) {
				TFloat32 output = (TFloat32) result.get(0);
				return StdArrays.array2dCopyOf(output);
			}
		}
	}

}
