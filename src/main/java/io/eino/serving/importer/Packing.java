package io.eino.serving.importer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssertThat;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The index work of packed tokens (docs/engine.md, "Graph rewrites", packed tokens):
 * operands that broadcast over the batch, and attention's heads straight from and back to
 * packed rows. Exporters split a projection {@code [batch, sequence, C]} into heads with
 * a reshape to {@code [batch, sequence, heads, depth]} and a transpose to
 * {@code [batch, heads, sequence, depth]}, and merge them back the reverse way. On packed
 * rows that was a scatter to the padded shape, then a transpose; here it is one
 * {@code GatherNd} that reads each (text, head, position) from its packed row, padding
 * from a zero row, and on the way back one {@code GatherNd} that reads each real token's
 * heads into its packed row. Same values, two copies fewer per head split.
 *
 * <p>
 * The indices depend only on the batch's attention mask: they are built once per number
 * of heads and shared by every layer. Each use checks at run time that the value has the
 * batch's shape.
 */
final class Packing {

	private final Ops tf;

	private final TranslationContext.Tokens tokens;

	/** The batch's number of texts, its sequence length and its real tokens (scalars). */
	private final Operand<TInt64> batch;

	private final Operand<TInt64> sequence;

	private final Operand<TInt64> count;

	/** Each real token's text and position in it, {@code [tokens, 1]}. */
	private final Operand<TInt64> text;

	private final Operand<TInt64> position;

	private final Map<Long, Operand<TInt64>> unpackIndices = new HashMap<>();

	private final Map<Long, Operand<TInt64>> packIndices = new HashMap<>();

	private final Map<String, SplitHeads> splits = new HashMap<>();

	private final Map<String, Operand<TType>> unpacked = new HashMap<>();

	/**
	 * A packed value reshaped to {@code [batch, sequence, heads, depth]}: attention's
	 * split into heads, which {@link #unpack} can do from the packed rows directly.
	 *
	 * @param rows the packed rows {@code [tokens, heads × depth]}
	 * @param heads the number of heads
	 * @param depth the values per head
	 * @param target the reshape's target shape
	 */
	record SplitHeads(Operand<TType> rows, long heads, long depth, Operand<TInt64> target) {

	}

	private Packing(Ops tf, TranslationContext.Tokens tokens) {
		this.tf = tf;
		this.tokens = tokens;
		this.batch = element(tokens.shape(), 0);
		this.sequence = element(tokens.shape(), 1);
		this.count = element(tf.shape(tokens.positions(), TInt64.class), 0);
		this.text = tf.math.floorDiv(tokens.positions(), this.sequence);
		this.position = tf.math.floorMod(tokens.positions(), this.sequence);
	}

	/**
	 * Packing by {@code attentionMask}, its real tokens' positions checked first: every
	 * other token input must have the mask's shape (see
	 * {@link TranslationContext#packTokens}).
	 */
	static Packing of(Ops scope, Operand<TInt64> attentionMask, Map<String, Operand<TInt64>> otherInputs) {
		Operand<TInt64> maskShape = scope.shape(attentionMask, TInt64.class);
		Operand<TBool> same = scope.constant(true);
		for (Operand<TInt64> input : otherInputs.values()) {
			Operand<TBool> equal = scope.reduceAll(scope.math.equal(scope.shape(input, TInt64.class), maskShape),
					scope.constant(0));
			same = scope.math.logicalAnd(same, equal);
		}
		AssertThat check = scope.assertThat(same,
				List.of(scope.constant("Token inputs " + otherInputs.keySet()
						+ " must have the shape of attention_mask [batch, sequence]; attention_mask has shape"),
						maskShape));
		Operand<TInt64> flatMask = scope.reshape(attentionMask, scope.constant(new long[] { -1 }));
		TranslationContext.Tokens tokens = new TranslationContext.Tokens(maskShape,
				scope.withControlDependencies(List.of(check)).where(flatMask), scope.shape(flatMask, TInt64.class));
		return new Packing(scope, tokens);
	}

	TranslationContext.Tokens tokens() {
		return this.tokens;
	}

	/** Records that {@code name} is a packed value split into heads. */
	void splitHeads(String name, SplitHeads split) {
		this.splits.put(name, split);
	}

	/**
	 * {@code name}'s heads, {@code [batch, heads, sequence, depth]}, gathered from its
	 * packed rows (once per value), when it is a packed value split into heads.
	 */
	Optional<Operand<TType>> heads(String name) {
		SplitHeads split = this.splits.get(name);
		if (split == null) {
			return Optional.empty();
		}
		return Optional.of(this.unpacked.computeIfAbsent(name,
				(key) -> unpack(split.rows(), split.heads(), split.depth(), split.target())));
	}

	/**
	 * The rows of a value {@code [b, s, columns]} that broadcasts against the token
	 * activations {@code [batch, sequence, columns]} ({@code b} is 1 or the batch,
	 * {@code s} 1 or the sequence): for each real token, the row it meets under ONNX's
	 * broadcasting, so that a packed activation combines with it without unpacking (the
	 * position embeddings, {@code [1, sequence, features]}). A value of another shape
	 * fails the run.
	 */
	Operand<TType> broadcastRows(Operand<TType> value, long columns) {
		Ops scope = this.tf;
		Operand<TInt64> shape = scope.shape(value, TInt64.class);
		Operand<TInt64> b = element(shape, 0);
		Operand<TInt64> s = element(shape, 1);
		Operand<TInt64> one = scope.constant(1L);
		Operand<TBool> broadcasts = scope.math.logicalAnd(
				scope.math.logicalOr(scope.math.equal(b, one), scope.math.equal(b, this.batch)),
				scope.math.logicalOr(scope.math.equal(s, one), scope.math.equal(s, this.sequence)));
		AssertThat check = scope.assertThat(broadcasts,
				List.of(scope.constant("A value added to token activations [batch, sequence] has shape"), shape));
		// A real token's row in the value drops the coordinates the value broadcasts
		// over.
		Operand<TInt64> row = scope.math.add(
				scope.math.mul(scope.math.mul(this.text, scope.math.minimum(scope.math.sub(b, one), one)), s),
				scope.math.mul(this.position, scope.math.minimum(scope.math.sub(s, one), one)));
		return scope.withControlDependencies(List.of(check))
			.gatherNd(scope.reshape(value, scope.constant(new long[] { -1, columns })), row);
	}

	/**
	 * {@code [batch, heads, sequence, depth]} from packed rows {@code [tokens, heads ×
	 * depth]}; {@code target} is the reshape's target shape, checked to start with the
	 * batch's {@code [batch, sequence]}.
	 */
	Operand<TType> unpack(Operand<TType> rows, long heads, long depth, Operand<TInt64> target) {
		AssertThat check = checkTarget(target, "A split into attention heads has target shape");
		Operand<TType> split = this.tf.withControlDependencies(List.of(check))
			.reshape(rows, this.tf.constant(new long[] { -1, heads, depth }));
		Operand<TType> padded = this.tf.concat(
				List.of(split, this.tf.zeros(this.tf.constant(new long[] { 1, heads, depth }), rows.type())),
				this.tf.constant(0L));
		return this.tf.gatherNd(padded, this.unpackIndices.computeIfAbsent(heads, this::unpackIndices));
	}

	/**
	 * Packed rows {@code [tokens, heads × depth]} of a value {@code [batch, heads,
	 * sequence, depth]} merged back by a reshape to {@code target}; both are checked to
	 * have the batch's {@code [batch, sequence]}.
	 */
	Operand<TType> pack(Operand<TType> value, long heads, long depth, Operand<TInt64> target) {
		Operand<TInt64> shape = this.tf.shape(value, TInt64.class);
		Operand<TInt64> batchAndSequence = this.tf.gather(shape, this.tf.constant(new long[] { 0, 2 }),
				this.tf.constant(0L));
		AssertThat valueCheck = checkShape(batchAndSequence, "A merge of attention heads has shape", shape);
		AssertThat targetCheck = checkTarget(target, "A merge of attention heads has target shape");
		Operand<TType> rows = this.tf.withControlDependencies(List.of(valueCheck, targetCheck))
			.gatherNd(value, this.packIndices.computeIfAbsent(heads, this::packIndices));
		return this.tf.reshape(rows, this.tf.constant(new long[] { -1, heads * depth }));
	}

	/** A check that a reshape's target starts with the batch's [batch, sequence]. */
	private AssertThat checkTarget(Operand<TInt64> target, String message) {
		Operand<TInt64> leading = this.tf.slice(target, this.tf.constant(new long[] { 0 }),
				this.tf.constant(new long[] { 2 }));
		return checkShape(leading, message, target);
	}

	private AssertThat checkShape(Operand<TInt64> batchAndSequence, String message, Operand<TInt64> shape) {
		Operand<TBool> same = this.tf.reduceAll(this.tf.math.equal(batchAndSequence, this.tokens.shape()),
				this.tf.constant(0));
		return this.tf.assertThat(same, List.of(this.tf.constant(message), shape,
				this.tf.constant("where the batch is [batch, sequence]"), this.tokens.shape()));
	}

	/** {@code [batch, heads, sequence, 2]}: (packed row or the zero row, head). */
	private Operand<TInt64> unpackIndices(long heads) {
		// Row + 1 at each real position, 0 at padding; then padding → the zero row.
		Operand<TInt64> numbered = this.tf.scatterNd(
				this.tokens.positions(), this.tf.range(this.tf.constant(1L),
						this.tf.math.add(this.count, this.tf.constant(1L)), this.tf.constant(1L)),
				this.tokens.padded());
		Operand<TInt64> row = this.tf.select(this.tf.math.equal(numbered, this.tf.constant(0L)),
				this.tf.fill(this.tokens.padded(), this.count), this.tf.math.sub(numbered, this.tf.constant(1L)));
		Operand<TInt64> shape = this.tf
			.stack(List.of(this.batch, this.tf.constant(heads), this.sequence, this.tf.constant(1L)));
		Operand<TInt64> rows = this.tf
			.broadcastTo(
					this.tf.reshape(row,
							this.tf
								.stack(List.of(this.batch, this.tf.constant(1L), this.sequence, this.tf.constant(1L)))),
					shape);
		return this.tf.concat(List.of(rows, headIndex(heads, new long[] { 1, heads, 1, 1 }, shape)),
				this.tf.constant(3L));
	}

	/** {@code [tokens, heads, 3]}: (text, head, position) of each real token's heads. */
	private Operand<TInt64> packIndices(long heads) {
		Operand<TInt64> shape = this.tf.stack(List.of(this.count, this.tf.constant(heads), this.tf.constant(1L)));
		Operand<TInt64> perToken = this.tf.constant(new long[] { -1, 1, 1 });
		return this.tf.concat(List.of(this.tf.broadcastTo(this.tf.reshape(this.text, perToken), shape),
				headIndex(heads, new long[] { 1, heads, 1 }, shape),
				this.tf.broadcastTo(this.tf.reshape(this.position, perToken), shape)), this.tf.constant(2L));
	}

	/**
	 * The head numbers 0 … heads − 1 laid out along {@code layout}, broadcast to shape.
	 */
	private Operand<TInt64> headIndex(long heads, long[] layout, Operand<TInt64> shape) {
		return this.tf.broadcastTo(
				this.tf.reshape(this.tf.range(this.tf.constant(0L), this.tf.constant(heads), this.tf.constant(1L)),
						this.tf.constant(layout)),
				shape);
	}

	/** Element {@code index} of a shape vector, as a scalar. */
	private Operand<TInt64> element(Operand<TInt64> shape, long index) {
		return this.tf.gather(shape, this.tf.constant(index), this.tf.constant(0L));
	}

}
