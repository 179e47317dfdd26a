package io.eino.serving.importer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The state of one graph translation: the TensorFlow value behind every ONNX value name,
 * and the values known at import time (constants), which operators such as Unsqueeze,
 * Slice and Reshape read as static arguments.
 *
 * <p>
 * An activation of rank 3 or more that feeds a weight product is held as a matrix
 * ({@link Flat}): the product, its bias, GELU and the element-wise operations with
 * constants then run on {@code [rows, columns]}, the form in which TensorFlow's remapper
 * fuses {@code MatMul + BiasAdd + GELU} into one {@code _FusedMatMul}. The matrix is
 * reshaped back only when a consumer needs the full shape (docs/engine.md, "Graph
 * rewrites").
 *
 * <p>
 * Not thread safe: one translation runs on one thread.
 */
final class TranslationContext {

	private final Ops tf;

	private final Map<String, Operand<?>> values = new HashMap<>();

	private final Map<String, OnnxTensor> constants = new HashMap<>();

	private final Map<String, Flat> flats = new HashMap<>();

	private final Map<String, Transposed> transposes = new HashMap<>();

	private Packing packing;

	private final Map<String, long[]> partials = new HashMap<>();

	private Tokens tokens;

	private final Set<String> tokenInputs = new HashSet<>();

	private int packedProducts;

	/**
	 * An activation held as a matrix.
	 *
	 * @param rows the values, {@code [rows, columns]}
	 * @param leading the dimensions before the last one, as a tensor
	 * @param columns the last dimension (static)
	 * @param packed whether the rows are the real tokens only ({@link Tokens})
	 */
	record Flat(Operand<TType> rows, Operand<TInt64> leading, long columns, boolean packed) {

		/** Whether {@code other} has the same rows, so the two combine element-wise. */
		boolean alignsWith(Flat other) {
			return this.leading == other.leading && this.columns == other.columns && this.packed == other.packed;
		}

		/** The full shape of the value: its leading dimensions, then its columns. */
		Operand<TInt64> shape(Ops tf) {
			return tf.concat(List.of(this.leading, tf.constant(new long[] { this.columns })), tf.constant(0));
		}

	}

	/**
	 * The real tokens of a batch, where its attention mask is set. A token activation
	 * ({@code [batch, sequence, features]}) that enters a weight product is held as the
	 * rows of its real tokens only, so that the products, their biases, GELU, the
	 * residual additions and LayerNorm skip the padding (docs/engine.md, "Graph
	 * rewrites", packed tokens); attention gets the padded shape back, padding rows zero.
	 *
	 * @param shape {@code [batch, sequence]}, the leading dimensions of every packed
	 * matrix
	 * @param positions {@code [tokens, 1]}: each real token's row in the padded
	 * {@code [batch × sequence]} rows
	 * @param padded {@code [batch × sequence]}, as a one-element vector
	 */
	record Tokens(Operand<TInt64> shape, Operand<TInt64> positions, Operand<TInt64> padded) {

	}

	/**
	 * A value made by a Transpose node, with what it was made from, so that a batched
	 * product can read a transposed last pair of axes through its adjoint flag instead.
	 *
	 * @param input the name of the value before the transpose
	 * @param permutation ONNX's {@code perm}
	 */
	record Transposed(String input, long[] permutation) {

	}

	TranslationContext(Ops tf) {
		this.tf = tf;
	}

	Ops tf() {
		return this.tf;
	}

	void define(String name, Operand<?> value) {
		this.values.put(name, value);
	}

	void defineFlat(String name, Flat flat) {
		this.flats.put(name, flat);
		this.values.remove(name);
	}

	/**
	 * Packs token activations by this attention mask ({@code [batch, sequence]}, 1 for a
	 * real token) from now on. The positions of the real tokens wait for a check that
	 * every other token input has the mask's shape: packing reads each activation's rows
	 * at the mask's positions, so token ids of another shape would otherwise be read at
	 * the wrong rows without an error (the graph as exported fails on them in attention).
	 * The check fails the run with an invalid-argument error naming the inputs.
	 */
	void packTokens(Operand<TInt64> attentionMask, Map<String, Operand<TInt64>> otherInputs) {
		this.packing = Packing.of(this.tf.withSubScope("packing"), attentionMask, otherInputs);
		this.tokens = this.packing.tokens();
		this.tokenInputs.addAll(otherInputs.keySet());
	}

	/** Whether {@code name} is a token input checked to have the mask's shape. */
	boolean isTokenInput(String name) {
		return this.tokens != null && this.tokenInputs.contains(name);
	}

	/** Records that {@code name} is {@code input} transposed by {@code permutation}. */
	void transposed(String name, String input, long[] permutation) {
		this.transposes.put(name, new Transposed(input, permutation));
	}

	/** Records the elements of a vector known when the graph is built. */
	void partial(String name, long[] elements) {
		this.partials.put(name, elements);
	}

	/** {@link #partial}: the elements of a vector known when the graph is built. */
	Optional<long[]> partial(String name) {
		return Optional.ofNullable(this.partials.get(name));
	}

	/** The index work of packed tokens; present once {@link #packTokens} ran. */
	Optional<Packing> packing() {
		return Optional.ofNullable(this.packing);
	}

	/** How {@code name} was made, when a Transpose node made it. */
	Optional<Transposed> transposeOf(String name) {
		return Optional.ofNullable(this.transposes.get(name));
	}

	Optional<Tokens> tokens() {
		return Optional.ofNullable(this.tokens);
	}

	/** Counts a weight product on packed rows. */
	void packedProduct() {
		this.packedProducts++;
	}

	int packedProducts() {
		return this.packedProducts;
	}

	/**
	 * Records the matrix form of a value that keeps its full shape too, so that later
	 * consumers share one reshape (or one packing) instead of making their own.
	 */
	void alsoFlat(String name, Flat flat) {
		this.flats.putIfAbsent(name, flat);
	}

	boolean defines(String name) {
		return this.values.containsKey(name) || this.flats.containsKey(name);
	}

	/** The value as a matrix, when it is held as one. */
	Optional<Flat> flat(String name) {
		return Optional.ofNullable(this.flats.get(name));
	}

	/** The constant (initializer or {@code Constant} node) of that name, if it is one. */
	Optional<OnnxTensor> constant(String name) {
		return Optional.ofNullable(this.constants.get(name));
	}

	/** Records a constant and adds it to the graph. */
	Operand<?> defineConstant(OnnxTensor constant) {
		return defineConstant(constant, this.tf);
	}

	/** Records a constant and adds it to the graph through {@code scope}. */
	Operand<?> defineConstant(OnnxTensor constant, Ops scope) {
		this.constants.put(constant.name(), constant);
		try (Tensor tensor = constant.toTensor()) {
			Operand<?> operand = scope.constantOf((TType) tensor);
			define(constant.name(), operand);
			return operand;
		}
	}

	Operand<?> value(String name, OnnxNode node) {
		Operand<?> value = lookup(name);
		if (value == null) {
			throw node.unsupported("input '" + name + "' is not produced by any earlier node, input or initializer");
		}
		return value;
	}

	/** The value in its full shape: a matrix is reshaped back once, on first use. */
	private Operand<?> lookup(String name) {
		Operand<?> value = this.values.get(name);
		Flat flat = this.flats.get(name);
		if (value == null && flat != null) {
			Operand<TInt64> columns = this.tf.constant(new long[] { flat.columns() });
			Operand<TType> rows = flat.rows();
			if (flat.packed()) {
				// Padding rows come back as zeros: the attention mask hides them.
				rows = this.tf.scatterNd(this.tokens.positions(), rows,
						this.tf.concat(List.of(this.tokens.padded(), columns), this.tf.constant(0)));
			}
			value = this.tf.reshape(rows, flat.shape(this.tf));
			this.values.put(name, value);
		}
		return value;
	}

	Operand<?> graphOutput(String name) {
		Operand<?> value = lookup(name);
		if (value == null) {
			throw new OnnxImportException("Graph output '" + name + "' is not produced by any node");
		}
		return value;
	}

	Operand<?> input(OnnxNode node, int index) {
		if (!node.hasInput(index)) {
			throw node.unsupported("required input #" + index + " is missing");
		}
		return value(node.inputs().get(index), node);
	}

	Optional<long[]> constantLongs(OnnxNode node, int index) {
		if (!node.hasInput(index)) {
			return Optional.empty();
		}
		return Optional.ofNullable(this.constants.get(node.inputs().get(index))).map(OnnxTensor::longValues);
	}

	long[] requireConstantLongs(OnnxNode node, int index, String what) {
		return constantLongs(node, index)
			.orElseThrow(() -> node.unsupported(what + " (input #" + index + ") must be a constant"));
	}

	/** The value as int64, cast when it has another integer type. */
	@SuppressWarnings("unchecked")
	Operand<TInt64> asInt64(Operand<?> value) {
		if (value.type() == TInt64.class) {
			return (Operand<TInt64>) value;
		}
		return this.tf.dtypes.cast(value, TInt64.class);
	}

	static int rank(Operand<?> value, OnnxNode node) {
		int rank = value.shape().numDimensions();
		if (rank < 0) {
			throw node.unsupported("the rank of its input is not known when the graph is built");
		}
		return rank;
	}

}
