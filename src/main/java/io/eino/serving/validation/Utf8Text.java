package io.eino.serving.validation;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import io.eino.serving.error.Rule;

/**
 * Bytes a request sends as text ({@code {"b64"}} values, BYTES tensors over gRPC) read as
 * strict UTF-8: malformed sequences, overlong forms and encoded surrogates are refused,
 * never replaced.
 */
public final class Utf8Text {

	private Utf8Text() {
	}

	/**
	 * @param refusal the detail of the {@code malformed-utf8} problem when they are not
	 * UTF-8
	 * @throws InvalidInputException ({@code malformed-utf8}) for bytes that are not
	 */
	public static String decode(byte[] bytes, String refusal) {
		return strict(bytes).orElseThrow(() -> new InvalidInputException(Rule.MALFORMED_UTF8, refusal));
	}

	/** The bytes as text when they are well-formed UTF-8, else empty. */
	public static java.util.Optional<String> strict(byte[] bytes) {
		try {
			return java.util.Optional.of(StandardCharsets.UTF_8.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(bytes))
				.toString());
		}
		catch (CharacterCodingException ex) {
			return java.util.Optional.empty();
		}
	}

}
