package io.eino.serving.importer;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

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
 * Not thread safe: one translation runs on one thread.
 */
final class TranslationContext {

	private final Ops tf;

	private final Map<String, Operand<?>> values = new HashMap<>();

	private final Map<String, OnnxTensor> constants = new HashMap<>();

	TranslationContext(Ops tf) {
		this.tf = tf;
	}

	Ops tf() {
		return this.tf;
	}

	void define(String name, Operand<?> value) {
		this.values.put(name, value);
	}

	/** Records a constant and adds it to the graph. */
	Operand<?> defineConstant(OnnxTensor constant) {
		this.constants.put(constant.name(), constant);
		try (Tensor tensor = constant.toTensor()) {
			Operand<?> operand = this.tf.constantOf((TType) tensor);
			define(constant.name(), operand);
			return operand;
		}
	}

	Operand<?> value(String name, OnnxNode node) {
		Operand<?> value = this.values.get(name);
		if (value == null) {
			throw node.unsupported("input '" + name + "' is not produced by any earlier node, input or initializer");
		}
		return value;
	}

	Operand<?> graphOutput(String name) {
		Operand<?> value = this.values.get(name);
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
