package io.eino.serving.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.eino.serving.error.Rule;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.validation.InvalidInputException;
import io.eino.serving.validation.Utf8Text;
import tools.jackson.databind.JsonNode;

/**
 * JSON arrays to and from {@link HostTensor}s: nested arrays (TF Serving REST) and flat
 * data plus shape (Open Inference Protocol).
 */
final class JsonTensors {

	private JsonTensors() {
	}

	/**
	 * A tensor from nested JSON arrays, typed by {@code datatype} (docs/protocols.md,
	 * "Datatypes").
	 */
	static HostTensor fromNested(String name, JsonNode value, Datatype datatype) {
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
	static HostTensor fromFlat(String name, JsonNode data, long[] shape, Datatype datatype) {
		List<JsonNode> leaves = new ArrayList<>();
		collectLeaves(data, leaves);
		return fromFlat(name, leaves, shape, datatype);
	}

	private static HostTensor fromFlat(String name, List<JsonNode> leaves, long[] shape, Datatype datatype) {
		long expected = Arrays.stream(shape).reduce(1, Math::multiplyExact);
		if (Arrays.stream(shape).anyMatch((d) -> d < 0) || expected != leaves.size()) {
			throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + name + "' has " + leaves.size()
					+ " values, which does not fit shape " + Arrays.toString(shape));
		}
		int count = leaves.size();
		if (datatype == null || !datatype.served()) {
			throw new InvalidInputException(Rule.INPUT_DATATYPE,
					"Input '" + name + "' has " + ((datatype != null) ? "datatype " + datatype : "a datatype")
							+ " that TensorFlow Java has no tensor type for; served datatypes: "
							+ Datatype.servedNames());
		}
		switch (datatype) {
			case BOOL -> {
				boolean[] values = new boolean[count];
				for (int i = 0; i < count; i++) {
					JsonNode leaf = leaves.get(i);
					if (!leaf.isBoolean()) {
						throw wrongType(name, "booleans", leaf);
					}
					values[i] = leaf.booleanValue();
				}
				return new HostTensor.Bool(shape, values);
			}
			case UINT8, UINT16 -> {
				long max = (datatype == Datatype.UINT8) ? 0xFF : 0xFFFF;
				int[] values = new int[count];
				for (int i = 0; i < count; i++) {
					values[i] = (int) integral(name, datatype, leaves.get(i), 0, max);
				}
				return new HostTensor.SmallInt(datatype, shape, values);
			}
			case INT32 -> {
				int[] values = new int[count];
				for (int i = 0; i < count; i++) {
					values[i] = (int) integral(name, datatype, leaves.get(i), Integer.MIN_VALUE, Integer.MAX_VALUE);
				}
				return new HostTensor.Int32(shape, values);
			}
			case INT64 -> {
				long[] values = new long[count];
				for (int i = 0; i < count; i++) {
					values[i] = integral(name, datatype, leaves.get(i), Long.MIN_VALUE, Long.MAX_VALUE);
				}
				return new HostTensor.Int64(shape, values);
			}
			case FP16, BF16, FP32 -> {
				float[] values = new float[count];
				for (int i = 0; i < count; i++) {
					// Through double: Jackson refuses floatValue() for NaN, ±Infinity and
					// values beyond float's range, which TF Serving reads as float32.
					values[i] = (float) number(name, leaves.get(i));
				}
				return (datatype == Datatype.FP32) ? new HostTensor.Float32(shape, values)
						: new HostTensor.Half(datatype, shape, values);
			}
			case FP64 -> {
				double[] values = new double[count];
				for (int i = 0; i < count; i++) {
					values[i] = number(name, leaves.get(i));
				}
				return new HostTensor.Float64(shape, values);
			}
			case BYTES -> {
				byte[][] values = new byte[count][];
				for (int i = 0; i < count; i++) {
					values[i] = bytes(name, leaves.get(i));
				}
				return new HostTensor.Bytes(shape, values);
			}
			default -> throw new IllegalStateException("A served datatype without a reader: " + datatype);
		}
	}

	private static long integral(String name, Datatype datatype, JsonNode leaf, long min, long max) {
		if (!leaf.isIntegralNumber() || !leaf.canConvertToLong() || leaf.longValue() < min || leaf.longValue() > max) {
			throw wrongType(name, datatype + " integers (" + min + " to " + max + ")", leaf);
		}
		return leaf.longValue();
	}

	private static double number(String name, JsonNode leaf) {
		// NaN and ±Infinity included, as TF Serving takes them.
		if (!leaf.isNumber()) {
			throw wrongType(name, "numbers", leaf);
		}
		return leaf.doubleValue();
	}

	private static byte[] bytes(String name, JsonNode leaf) {
		if (leaf.isString()) {
			return leaf.stringValue().getBytes(StandardCharsets.UTF_8);
		}
		if (isBinary(leaf)) {
			return binary(leaf, "Input '" + name + "': a {\"b64\": …} value must be standard base64");
		}
		throw wrongType(name, "strings or {\"b64\": …} values", leaf);
	}

	/**
	 * The bytes of a binary value ({@link #isBinary}), standard base64.
	 * @param refusal the detail of the {@code instance-type} problem when it is not
	 * base64
	 */
	static byte[] binary(JsonNode node, String refusal) {
		try {
			return Base64.getDecoder().decode(node.get("b64").stringValue());
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidInputException(Rule.INSTANCE_TYPE, refusal);
		}
	}

	/** TF Serving's JSON for a binary value: {@code {"b64": "<base64>"}}. */
	static boolean isBinary(JsonNode node) {
		return node.isObject() && node.size() == 1 && node.path("b64").isString();
	}

	private static InvalidInputException wrongType(String name, String expected, JsonNode leaf) {
		return new InvalidInputException(Rule.INPUT_DATATYPE,
				"Input '" + name + "' must hold " + expected + ", found " + describe(leaf));
	}

	private static void flatten(String name, JsonNode node, long[] shape, int depth, List<JsonNode> leaves) {
		if (depth == shape.length) {
			if (node.isArray() || (node.isObject() && !isBinary(node))) {
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

	/**
	 * The whole tensor as nested lists.
	 * @param base64 BYTES elements always as {@code {"b64": …}} (TF Serving does so for
	 * outputs whose name ends in {@code _bytes}); otherwise as text when they are UTF-8
	 */
	static Object toNested(HostTensor tensor, boolean base64) {
		return nested(tensor, 0, 0, base64);
	}

	/**
	 * Slice {@code index} of the first dimension, as nested lists (a scalar for rank 1).
	 */
	static Object row(HostTensor tensor, int index, boolean base64) {
		long[] shape = tensor.shape();
		long stride = 1;
		for (int d = 1; d < shape.length; d++) {
			stride *= shape[d];
		}
		return nested(tensor, 1, index * stride, base64);
	}

	private static Object nested(HostTensor tensor, int depth, long offset, boolean base64) {
		long[] shape = tensor.shape();
		if (depth == shape.length) {
			return value(tensor, (int) offset, base64);
		}
		long stride = 1;
		for (int d = depth + 1; d < shape.length; d++) {
			stride *= shape[d];
		}
		List<Object> list = new ArrayList<>((int) shape[depth]);
		for (long i = 0; i < shape[depth]; i++) {
			list.add(nested(tensor, depth + 1, offset + i * stride, base64));
		}
		return list;
	}

	private static Object value(HostTensor tensor, int index, boolean base64) {
		Object element = tensor.element(index);
		if (element instanceof byte[] bytes) {
			return text(bytes, base64);
		}
		return element;
	}

	/**
	 * Bytes as JSON: text when they are UTF-8 (and not asked as base64), else
	 * {@code {"b64": …}}.
	 */
	private static Object text(byte[] bytes, boolean base64) {
		if (!base64) {
			Optional<String> text = Utf8Text.strict(bytes);
			if (text.isPresent()) {
				return text.get();
			}
		}
		return Map.of("b64", Base64.getEncoder().encodeToString(bytes));
	}

	/** The elements, flat, as OIP's {@code data}. */
	static Object flatData(HostTensor tensor) {
		if (tensor instanceof HostTensor.Int64 int64) {
			return int64.values();
		}
		if (tensor instanceof HostTensor.Float32 float32) {
			return float32.values();
		}
		int size = Math.toIntExact(tensor.size());
		List<Object> data = new ArrayList<>(size);
		for (int i = 0; i < size; i++) {
			data.add(value(tensor, i, false));
		}
		return data;
	}

}
