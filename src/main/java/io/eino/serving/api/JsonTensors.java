package io.eino.serving.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.eino.serving.error.Rule;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.validation.InvalidInputException;
import tools.jackson.databind.JsonNode;

/**
 * JSON arrays to and from {@link HostTensor}s: nested arrays (TF Serving REST) and flat
 * data plus shape (Open Inference Protocol).
 */
final class JsonTensors {

	private JsonTensors() {
	}

	/** A tensor from nested JSON arrays, typed by {@code datatype} (INT64 or FP32). */
	static HostTensor fromNested(String name, JsonNode value, String datatype) {
		List<Long> shape = new ArrayList<>();
		for (JsonNode node = value; node.isArray(); node = node.get(0)) {
			shape.add((long) node.size());
			if (node.isEmpty()) {
				break;
			}
		}
		long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
		List<JsonNode> leaves = new ArrayList<>();
		flatten(name, value, dims, 0, leaves);
		return fromFlat(name, leaves, dims, datatype);
	}

	/** A tensor from flat (or nested, which is flattened) data and an explicit shape. */
	static HostTensor fromFlat(String name, JsonNode data, long[] shape, String datatype) {
		List<JsonNode> leaves = new ArrayList<>();
		collectLeaves(data, leaves);
		return fromFlat(name, leaves, shape, datatype);
	}

	private static HostTensor fromFlat(String name, List<JsonNode> leaves, long[] shape, String datatype) {
		long expected = Arrays.stream(shape).reduce(1, Math::multiplyExact);
		if (Arrays.stream(shape).anyMatch((d) -> d < 0) || expected != leaves.size()) {
			throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + name + "' has " + leaves.size()
					+ " values, which does not fit shape " + Arrays.toString(shape));
		}
		switch (datatype) {
			case "INT64" -> {
				long[] values = new long[leaves.size()];
				for (int i = 0; i < values.length; i++) {
					JsonNode leaf = leaves.get(i);
					if (!leaf.isIntegralNumber() || !leaf.canConvertToLong()) {
						throw new InvalidInputException(Rule.INPUT_DATATYPE,
								"Input '" + name + "' must hold 64-bit integers, found " + describe(leaf));
					}
					values[i] = leaf.longValue();
				}
				return new HostTensor.Int64(shape, values);
			}
			case "FP32" -> {
				float[] values = new float[leaves.size()];
				for (int i = 0; i < values.length; i++) {
					JsonNode leaf = leaves.get(i);
					// NaN and ±Infinity included, as TF Serving takes them.
					if (!leaf.isNumber()) {
						throw new InvalidInputException(Rule.INPUT_DATATYPE,
								"Input '" + name + "' must hold float32 numbers, found " + describe(leaf));
					}
					// Through double: Jackson refuses floatValue() for NaN, ±Infinity and
					// values beyond float's range, which TF Serving reads as float32.
					values[i] = (float) leaf.doubleValue();
				}
				return new HostTensor.Float32(shape, values);
			}
			default -> throw new InvalidInputException(Rule.INPUT_DATATYPE,
					"Input '" + name + "' has datatype " + datatype + "; this signature takes INT64 and FP32 tensors");
		}
	}

	private static void flatten(String name, JsonNode node, long[] shape, int depth, List<JsonNode> leaves) {
		if (depth == shape.length) {
			if (node.isArray() || node.isObject()) {
				throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + name + "' is not a rectangular array");
			}
			leaves.add(node);
			return;
		}
		if (!node.isArray() || node.size() != shape[depth]) {
			throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + name + "' is not a rectangular array");
		}
		for (JsonNode child : node) {
			flatten(name, child, shape, depth + 1, leaves);
		}
	}

	private static void collectLeaves(JsonNode node, List<JsonNode> leaves) {
		if (node.isArray()) {
			for (JsonNode child : node) {
				collectLeaves(child, leaves);
			}
		}
		else {
			leaves.add(node);
		}
	}

	private static String describe(JsonNode leaf) {
		String text = leaf.toString();
		return (text.length() > 40) ? text.substring(0, 40) + "…" : text;
	}

	/** The whole tensor as nested lists. */
	static Object toNested(HostTensor tensor) {
		return nested(tensor, 0, 0);
	}

	/**
	 * Slice {@code index} of the first dimension, as nested lists (a scalar for rank 1).
	 */
	static Object row(HostTensor tensor, int index) {
		long[] shape = tensor.shape();
		long stride = 1;
		for (int d = 1; d < shape.length; d++) {
			stride *= shape[d];
		}
		return nested(tensor, 1, index * stride);
	}

	private static Object nested(HostTensor tensor, int depth, long offset) {
		long[] shape = tensor.shape();
		if (depth == shape.length) {
			return value(tensor, (int) offset);
		}
		long stride = 1;
		for (int d = depth + 1; d < shape.length; d++) {
			stride *= shape[d];
		}
		List<Object> list = new ArrayList<>((int) shape[depth]);
		for (long i = 0; i < shape[depth]; i++) {
			list.add(nested(tensor, depth + 1, offset + i * stride));
		}
		return list;
	}

	private static Object value(HostTensor tensor, int index) {
		if (tensor instanceof HostTensor.Int64 int64) {
			return int64.values()[index];
		}
		return ((HostTensor.Float32) tensor).values()[index];
	}

	/** The elements, flat, as OIP's {@code data}. */
	static Object flatData(HostTensor tensor) {
		if (tensor instanceof HostTensor.Int64 int64) {
			return int64.values();
		}
		return ((HostTensor.Float32) tensor).values();
	}

}
