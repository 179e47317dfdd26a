package io.eino.serving.api;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import io.eino.serving.error.Rule;
import io.eino.serving.validation.InvalidInputException;
import io.netty.channel.ChannelException;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.util.unit.DataSize;

/**
 * Reads a request body under the first validation layers: its size (a declared
 * {@code Content-Length} over the limit is refused before a byte is read; a streamed body
 * is cut off at the limit), strict UTF-8 (malformed sequences and encoded surrogates are
 * refused, never replaced), then JSON under parser limits (nesting depth, number length,
 * duplicate keys, trailing content). Nothing here blocks: the body is gathered as it
 * arrives.
 */
final class RequestBodies {

	/** Deepest JSON nesting accepted: far more than any tensor of rank 8 needs. */
	static final int MAX_NESTING_DEPTH = 32;

	/** Longest number literal accepted, in characters. */
	static final int MAX_NUMBER_LENGTH = 64;

	private static final JsonMapper JSON = JsonMapper
		.builder(JsonFactory.builder()
			.streamReadConstraints(StreamReadConstraints.builder()
				.maxNestingDepth(MAX_NESTING_DEPTH)
				.maxNumberLength(MAX_NUMBER_LENGTH)
				.build())
			.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
			// NaN, Infinity and -Infinity as numbers, as TF Serving's parser takes them.
			.enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
			.build())
		.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
		.build();

	private RequestBodies() {
	}

	/** The body as a JSON tree, or a typed input-tier error naming the rule it broke. */
	static Mono<JsonNode> json(ServerHttpRequest request, DataSize limit) {
		return bytes(request, limit).map(RequestBodies::parse);
	}

	/** The body's bytes, at most {@code limit}, or a typed input-tier error. */
	static Mono<byte[]> bytes(ServerHttpRequest request, DataSize limit) {
		long maxBytes = limit.toBytes();
		long declared = request.getHeaders().getContentLength();
		if (declared > maxBytes) {
			return Mono.error(tooLarge(declared + " bytes", maxBytes));
		}
		return DataBufferUtils.join(request.getBody(), (int) Math.min(Integer.MAX_VALUE, maxBytes))
			.onErrorMap(DataBufferLimitException.class, (ex) -> tooLarge("more than " + maxBytes + " bytes", maxBytes))
			// Reactor Netty's request timeout (package-private, a ChannelException) ends
			// the body.
			.onErrorMap(ChannelException.class,
					(ex) -> new InvalidInputException(Rule.BODY_TIMEOUT,
							"The request body did not arrive whole in time (eino.server.body-read-timeout)"))
			.map(RequestBodies::bytes)
			.switchIfEmpty(Mono.error(() -> new InvalidInputException(Rule.MALFORMED_JSON,
					"The request body is empty; send a JSON object")));
	}

	private static InvalidInputException tooLarge(String size, long maxBytes) {
		return new InvalidInputException(Rule.BODY_SIZE,
				"The request body has " + size + "; at most " + maxBytes + " bytes are allowed (max-body-size)");
	}

	private static byte[] bytes(DataBuffer buffer) {
		try {
			byte[] bytes = new byte[buffer.readableByteCount()];
			buffer.read(bytes);
			return bytes;
		}
		finally {
			DataBufferUtils.release(buffer);
		}
	}

	static JsonNode parse(byte[] body) {
		String text = decodeUtf8(body);
		try {
			return JSON.readTree(text);
		}
		catch (StreamConstraintsException ex) {
			// The parser's own message names its internals; ours names the limits.
			throw new InvalidInputException(Rule.MALFORMED_JSON,
					"The request body exceeds the JSON limits: nesting at most " + MAX_NESTING_DEPTH
							+ " levels deep, numbers of at most " + MAX_NUMBER_LENGTH + " characters");
		}
		catch (JacksonException ex) {
			// The parser's own message may quote the input; only its position is echoed,
			// and the name of a duplicated member, shortened.
			String where = (ex.getLocation() != null)
					? " (line " + ex.getLocation().getLineNr() + ", column " + ex.getLocation().getColumnNr() + ")"
					: "";
			String duplicate = duplicateKey(ex);
			if (duplicate != null) {
				throw new InvalidInputException(Rule.DUPLICATE_KEY,
						"An object in the request body names '" + duplicate + "' twice" + where);
			}
			throw new InvalidInputException(Rule.MALFORMED_JSON, "The request body is not well-formed JSON" + where);
		}
	}

	/**
	 * The member that {@link StreamReadFeature#STRICT_DUPLICATE_DETECTION} found twice,
	 * or null. Jackson reports it only in its message
	 * ({@code Duplicate Object property "x"}).
	 */
	private static String duplicateKey(JacksonException ex) {
		String message = ex.getOriginalMessage();
		String prefix = "Duplicate Object property \"";
		if (!(ex instanceof StreamReadException) || message == null || !message.startsWith(prefix)
				|| !message.endsWith("\"")) {
			return null;
		}
		String name = message.substring(prefix.length(), message.length() - 1).replaceAll("\\p{Cntrl}", "?");
		return (name.length() > 64) ? name.substring(0, 64) + "…" : name;
	}

	private static String decodeUtf8(byte[] body) {
		CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
			.onMalformedInput(CodingErrorAction.REPORT)
			.onUnmappableCharacter(CodingErrorAction.REPORT);
		ByteBuffer bytes = ByteBuffer.wrap(body);
		try {
			return decoder.decode(bytes).toString();
		}
		catch (CharacterCodingException ex) {
			throw new InvalidInputException(Rule.MALFORMED_UTF8,
					"The request body is not valid UTF-8 (at or near byte " + bytes.position() + ")");
		}
	}

}
