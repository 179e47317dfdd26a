package io.eino.serving.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import io.eino.serving.error.Rule;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.validation.InvalidInputException;
import io.eino.serving.validation.Utf8Text;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Triton's binary tensor data extension of the Open Inference Protocol over HTTP, which
 * Triton's clients use by default: the body is the JSON request, {@value #HEADER} bytes
 * long, followed by the raw data of each input whose {@code parameters.binary_data_size}
 * says so, in input order (little-endian; a {@code BYTES} element as a 4-byte length and
 * its bytes). Read here into the JSON request the protocol's JSON path reads, each such
 * input's {@code data} in place. Answers stay JSON, which Triton's clients read as well.
 * Hand-written: no library reads this framing.
 */
final class BinaryTensors {

	/** The header that gives the JSON part's length. */
	static final String HEADER = "Inference-Header-Content-Length";

	private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

	private BinaryTensors() {
	}

	/** The JSON request, with the binary data of its inputs as their {@code data}. */
	static JsonNode request(byte[] body, String headerLength) {
		int length = jsonLength(headerLength, body.length);
		JsonNode request = Predictions.requireObject(RequestBodies.parse(Arrays.copyOf(body, length)));
		int offset = length;
		JsonNode inputs = request.get("inputs");
		if (inputs != null && inputs.isArray()) {
			for (JsonNode input : inputs) {
				JsonNode size = input.path("parameters").get("binary_data_size");
				if (size == null || !(input instanceof ObjectNode tensor)) {
					continue;
				}
				if (!size.isIntegralNumber() || !size.canConvertToInt() || size.intValue() < 0
						|| size.intValue() > body.length - offset) {
					throw refusal("Input '" + text(input.path("name")) + "' declares binary_data_size " + size
							+ " but the body holds " + (body.length - offset) + " more bytes");
				}
				Datatype datatype = Datatype.named(text(input.path("datatype")));
				tensor.set("data", decode(datatype, ByteBuffer.wrap(body, offset, size.intValue()).slice(),
						text(input.path("name"))));
				((ObjectNode) input.get("parameters")).remove("binary_data_size");
				offset += size.intValue();
			}
		}
		if (offset != body.length) {
			throw refusal((body.length - offset) + " bytes follow the JSON request that no input's "
					+ "binary_data_size accounts for");
		}
		return request;
	}

	/** A member that should be a string, or empty when it is not one. */
	private static String text(JsonNode node) {
		return node.isString() ? node.stringValue() : "";
	}

	private static int jsonLength(String header, int bodyLength) {
		try {
			int length = Integer.parseInt(header.trim());
			if (length >= 0 && length <= bodyLength) {
				return length;
			}
		}
		catch (NumberFormatException ex) {
			// refused below
		}
		throw refusal(HEADER + " must be the JSON part's length in bytes, at most the body's " + bodyLength);
	}

	/** One input's elements as JSON values, in row-major order. */
	static ArrayNode decode(Datatype datatype, ByteBuffer bytes, String name) {
		if (datatype == null) {
			throw new InvalidInputException(Rule.INPUT_DATATYPE, "Input '" + name + "' names no datatype");
		}
		bytes.order(ByteOrder.LITTLE_ENDIAN);
		ArrayNode data = NODES.arrayNode();
		if (datatype == Datatype.BYTES) {
			while (bytes.hasRemaining()) {
				if (bytes.remaining() < 4
						|| Integer.toUnsignedLong(bytes.getInt(bytes.position())) > bytes.remaining() - 4) {
					throw refusal("Input '" + name + "': a BYTES element's 4-byte length runs past its data");
				}
				byte[] element = new byte[bytes.getInt()];
				bytes.get(element);
				data.add(Utf8Text.decode(element,
						"Input '" + name + "': a BYTES element sent as binary data must be UTF-8 text"));
			}
			return data;
		}
		int width = width(datatype);
		if (bytes.remaining() % width != 0) {
			throw refusal(
					"Input '" + name + "' has " + bytes.remaining() + " bytes of binary data, not a whole number of "
							+ datatype + " elements (" + width + " bytes each)");
		}
		while (bytes.hasRemaining()) {
			switch (datatype) {
				case BOOL -> data.add(bytes.get() != 0);
				case INT8 -> data.add(bytes.get());
				case UINT8 -> data.add(Byte.toUnsignedInt(bytes.get()));
				case INT16 -> data.add(bytes.getShort());
				case UINT16 -> data.add(Short.toUnsignedInt(bytes.getShort()));
				case INT32 -> data.add(bytes.getInt());
				case UINT32 -> data.add(Integer.toUnsignedLong(bytes.getInt()));
				case INT64 -> data.add(bytes.getLong());
				case UINT64 -> data.add(new java.math.BigInteger(Long.toUnsignedString(bytes.getLong())));
				case FP16 -> data.add(halfToFloat(bytes.getShort()));
				case BF16 -> data.add(Float.intBitsToFloat(bytes.getShort() << 16));
				case FP32 -> data.add(bytes.getFloat());
				default -> data.add(bytes.getDouble());
			}
		}
		return data;
	}

	private static int width(Datatype datatype) {
		return switch (datatype) {
			case BOOL, INT8, UINT8 -> 1;
			case INT16, UINT16, FP16, BF16 -> 2;
			case INT32, UINT32, FP32 -> 4;
			default -> 8;
		};
	}

	/** IEEE 754 binary16 to float (Java 17 has no {@code Float.float16ToFloat}). */
	static float halfToFloat(short half) {
		int sign = (half & 0x8000) << 16;
		int exponent = (half >>> 10) & 0x1f;
		int mantissa = half & 0x3ff;
		if (exponent == 0x1f) {
			return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
		}
		if (exponent == 0) {
			float value = mantissa * 0x1p-24f;
			return (sign != 0) ? -value : value;
		}
		return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
	}

	private static InvalidInputException refusal(String detail) {
		return new InvalidInputException(Rule.REQUEST_SHAPE, detail);
	}

}
