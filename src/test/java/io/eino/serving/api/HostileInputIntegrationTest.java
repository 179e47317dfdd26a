package io.eino.serving.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hostile-input suite: with the default limits, each hostile request gets the status
 * and problem type of the rule it breaks (never a 5xx), and a normal request right after
 * still gets its prediction from the real model (the service as a user gets it,
 * {@link DefaultServingContext}).
 */
class HostileInputIntegrationTest extends DefaultServingContext {

	private static final String V1 = "/v1/models/sentiment:predict";

	private static final String V2 = "/v2/models/sentiment/infer";

	@Autowired
	private WebTestClient client;

	/**
	 * One hostile request.
	 *
	 * @param uri where it goes
	 * @param contentType its media type
	 * @param body its bytes
	 * @param headers extra headers, name then value
	 */
	record Hostile(String uri, MediaType contentType, byte[] body, List<String> headers) {

		@Override
		public String toString() {
			return this.uri;
		}

	}

	private static Arguments json(String name, String body, int status, String rule) {
		return on(name, V1, body, status, rule);
	}

	private static Arguments on(String name, String uri, String body, int status, String rule) {
		return Arguments.of(name,
				new Hostile(uri, MediaType.APPLICATION_JSON, body.getBytes(StandardCharsets.UTF_8), List.of()), status,
				rule);
	}

	private static Arguments texts(String name, List<String> texts, int status, String rule) {
		StringBuilder body = new StringBuilder("{\"instances\":[");
		for (int i = 0; i < texts.size(); i++) {
			body.append((i > 0) ? "," : "").append(quote(texts.get(i)));
		}
		return json(name, body.append("]}").toString(), status, rule);
	}

	private static Arguments text(String name, String text, int status, String rule) {
		return texts(name, List.of(text), status, rule);
	}

	/** A JSON string literal; characters outside printable ASCII as escapes. */
	private static String quote(String text) {
		StringBuilder quoted = new StringBuilder("\"");
		for (char c : text.toCharArray()) {
			if (c == '"' || c == '\\') {
				quoted.append('\\').append(c);
			}
			else if (c < 0x20 || c > 0x7e) {
				quoted.append(String.format("\\u%04x", (int) c));
			}
			else {
				quoted.append(c);
			}
		}
		return quoted.append('"').toString();
	}

	private static Arguments bytes(String name, String uri, byte[] body, int status, String rule) {
		return Arguments.of(name, new Hostile(uri, MediaType.APPLICATION_JSON, body, List.of()), status, rule);
	}

	/** {"instances":["ok <bytes>"]} with raw bytes inside the string. */
	private static byte[] withRawBytes(int... raw) {
		byte[] head = "{\"instances\":[\"ok ".getBytes(StandardCharsets.US_ASCII);
		byte[] tail = "\"]}".getBytes(StandardCharsets.US_ASCII);
		byte[] body = Arrays.copyOf(head, head.length + raw.length + tail.length);
		for (int i = 0; i < raw.length; i++) {
			body[head.length + i] = (byte) raw[i];
		}
		System.arraycopy(tail, 0, body, head.length + raw.length, tail.length);
		return body;
	}

	private static String bigBody(int bytes) {
		return "{\"instances\":[\"" + "great ".repeat(bytes / 6) + "\"]}";
	}

	private static Arguments header(String name, String header, String value, String rule) {
		return Arguments.of(name,
				new Hostile(V1, MediaType.APPLICATION_JSON,
						"{\"instances\":[\"fine\"]}".getBytes(StandardCharsets.UTF_8), List.of(header, value)),
				400, rule);
	}

	static Stream<Arguments> hostileRequests() {
		String emoji = "\uD83D\uDE00";
		return Stream.of(
				// Malformed JSON and wrong shapes
				json("truncated JSON", "{\"instances\":[", 400, "malformed-json"),
				json("trailing content", "{\"instances\":[\"a\"]} extra", 400, "malformed-json"),
				json("duplicate keys", "{\"instances\":[\"a\"],\"instances\":[\"b\"]}", 400, "duplicate-key"),
				json("empty body", "", 400, "malformed-json"),
				json("single quotes", "{'instances':['a']}", 400, "malformed-json"),
				json("deep nesting", "{\"instances\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 400,
						"malformed-json"),
				json("a 100-digit number", "{\"instances\":[" + "9".repeat(100) + "]}", 400, "malformed-json"),
				json("body is a string", "\"great film\"", 400, "request-shape"),
				json("body is an array", "[\"great film\"]", 400, "request-shape"),
				json("body is null", "null", 400, "request-shape"),
				json("neither instances nor inputs", "{\"texts\":[\"a\"]}", 400, "request-shape"),
				json("instances is a string", "{\"instances\":\"great\"}", 400, "empty-instances"),
				json("instances is null", "{\"instances\":null}", 400, "empty-instances"),
				json("instances is empty", "{\"instances\":[]}", 400, "empty-instances"),
				json("numbers as instances", "{\"instances\":[1,2]}", 400, "instance-type"),
				json("huge number", "{\"instances\":[1e999999]}", 400, "instance-type"),
				json("null instance", "{\"instances\":[null]}", 400, "instance-type"),
				json("boolean instance", "{\"instances\":[true]}", 400, "instance-type"),
				json("string and number mixed", "{\"instances\":[\"a\",1]}", 400, "instance-type"),
				json("nested string arrays", "{\"instances\":[[\"a\"]]}", 400, "instance-type"),
				json("signature name a number", "{\"instances\":[\"a\"],\"signature_name\":5}", 400, "request-shape"),
				json("inputs null", "{\"inputs\":null}", 400, "instance-type"),
				json("token id out of range",
						"{\"inputs\":{\"input_ids\":[[101,99999999999999999999999,102]],"
								+ "\"attention_mask\":[[1,1,1]],\"token_type_ids\":[[0,0,0]]}}",
						400, "input-datatype"),
				json("negative token id",
						"{\"inputs\":{\"input_ids\":[[101,-5,102]],"
								+ "\"attention_mask\":[[1,1,1]],\"token_type_ids\":[[0,0,0]]}}",
						422, "invalid-tensor"),
				// Packed tokens read the ids at the mask's positions: token inputs of
				// another shape than the mask are refused, not read at the wrong rows.
				json("token ids longer than the mask",
						"{\"inputs\":{\"input_ids\":[[101,2023,2003,2307,102,0]],"
								+ "\"attention_mask\":[[1,1,1,1,1]],\"token_type_ids\":[[0,0,0,0,0,0]]}}",
						422, "invalid-tensor"),
				json("one mask row for two texts",
						"{\"inputs\":{\"input_ids\":[[101,2023,102],[101,2307,102]],"
								+ "\"attention_mask\":[[1,1,1,1,1,1]],\"token_type_ids\":[[0,0,0],[0,0,0]]}}",
						422, "invalid-tensor"),
				// Size
				json("65 instances",
						"{\"instances\":[" + String.join(",", java.util.Collections.nCopies(65, "\"ok\"")) + "]}", 400,
						"instances"),
				json("a 2 MB body", bigBody(2 << 20), 413, "body-size"),
				json("a 10 MB body", bigBody(10 << 20), 413, "body-size"),
				on("a 10 MB body over v2", V2, bigBody(10 << 20), 413, "body-size"),
				// Encoding
				bytes("byte 0xFF", V1, withRawBytes(0xFF), 400, "malformed-utf8"),
				bytes("overlong encoding of '<'", V1, withRawBytes(0xC0, 0xBC), 400, "malformed-utf8"),
				bytes("UTF-8 encoded surrogate", V1, withRawBytes(0xED, 0xA0, 0x80), 400, "malformed-utf8"),
				bytes("truncated multibyte sequence", V1, withRawBytes(0xE2, 0x82), 400, "malformed-utf8"),
				bytes("invalid UTF-8 over v2", V2,
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"\u00ff\"]}]}"
							.getBytes(StandardCharsets.ISO_8859_1),
						400, "malformed-utf8"),
				json("unpaired high surrogate", "{\"instances\":[\"ok \\ud800 there\"]}", 400, "unpaired-surrogate"),
				json("unpaired low surrogate", "{\"instances\":[\"\\udc00 ok\"]}", 400, "unpaired-surrogate"),
				// Text rules
				text("script tag", "<script>alert(1)</script>", 422, "denied-pattern"),
				text("angle bracket", "a > b, says the review", 422, "denied-pattern"),
				on("script tag over v2", V2,
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"<b>hi</b>\"]}]}",
						422, "denied-pattern"),
				text("1025 characters", "word ".repeat(205), 422, "text-length"),
				text("1025 emoji", emoji.repeat(1025), 422, "text-length"),
				text("NUL character", "\u0000great", 422, "control-character"),
				text("bell character", "great\u0007", 422, "control-character"),
				text("carriage return", "great\r\nfilm", 422, "control-character"),
				text("escape sequence", "\u001b[31mred\u001b[0m", 422, "control-character"),
				text("empty text", "", 422, "empty-text"), text("whitespace only", "  \t\n  ", 422, "empty-text"),
				texts("one empty text among good ones", List.of("great", ""), 422, "empty-text"),
				text("digits only", "1234567890", 422, "no-letters"),
				text("punctuation only", "!?!? ... ???", 422, "no-letters"),
				text("emoji only", emoji + " " + emoji, 422, "no-letters"),
				text("emoji flood", "great " + emoji.repeat(200), 422, "character-flood"),
				text("letter flood", "so" + "o".repeat(40) + " good", 422, "character-flood"),
				text("exclamation flood", "wow" + "!".repeat(60), 422, "character-flood"),
				text("mostly unknown tokens", "great " + emoji + " \uD83D\uDE01 \uD83D\uDE02", 422, "unknown-tokens"),
				// Headers, media type, model
				header("timeout not a number", ApiHeaders.TIMEOUT_MILLIS, "soon", "invalid-header"),
				Arguments.of("plain text body",
						new Hostile(V1, MediaType.TEXT_PLAIN, "great film".getBytes(StandardCharsets.UTF_8), List.of()),
						415, "unsupported-media-type"),
				on("unknown model", "/v1/models/nope:predict", "{\"instances\":[\"<script>\"]}", 404, "unknown-model"),
				on("v2 data not strings", V2,
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[5]}]}", 400,
						"input-datatype"),
				on("v2 text sent as FP32", V2,
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[5]}]}", 400,
						"input-datatype"),
				on("version not a number", "/v1/models/sentiment/versions/abc:predict", "{\"instances\":[\"fine\"]}",
						400, "invalid-version"),
				on("v2 version not a number", "/v2/models/sentiment/versions/abc/infer",
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"fine\"]}]}",
						400, "invalid-version"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("hostileRequests")
	void refusesWithTheRuleAndKeepsServing(String name, Hostile hostile, int status, String rule) {
		WebTestClient.RequestBodySpec request = this.client.post()
			.uri(hostile.uri())
			.contentType(hostile.contentType());
		if (!hostile.headers().isEmpty()) {
			request.header(hostile.headers().get(0), hostile.headers().get(1));
		}
		ApiTests.problem(request.bodyValue(hostile.body()).exchange(), status, rule, "input");
		assertThat(predictLabel("What a wonderful film")).isEqualTo("positive");
	}

	@Test
	void aGetOnAVerbRouteIsRefusedForItsMethodNotForTheModel() {
		WebTestClient.ResponseSpec response = this.client.get().uri("/v1/models/sentiment:predict").exchange();
		ApiTests.problem(response, 405, "method-not-allowed", "input");
		response.expectHeader().valueEquals(HttpHeaders.ALLOW, "POST");
		assertThat(predictLabel("What a wonderful film")).isEqualTo("positive");
	}

	static Stream<Arguments> unusualButHarmlessTexts() {
		List<Arguments> cases = new ArrayList<>();
		cases.add(Arguments.of("mixed scripts", "great film, très bien, 映画 фильм отличный"));
		cases.add(Arguments.of("tab and newline", "great\tfilm\nreally"));
		cases.add(Arguments.of("decomposed accent (normalised to NFC)", "cafe\u0301 was lovely"));
		cases.add(Arguments.of("exactly 1024 characters", "word ".repeat(204) + "good"));
		cases.add(Arguments.of("a few emoji", "what a film \uD83D\uDE00\uD83D\uDE00 loved it"));
		cases.add(Arguments.of("32 repeated letters", "s" + "o".repeat(32) + " good"));
		return cases.stream();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("unusualButHarmlessTexts")
	void acceptsUnusualButHarmlessText(String name, String text) {
		Map<String, Object> body = ApiTests.okJson(this.client.post()
			.uri(V1)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"instances\":[" + quote(text) + "]}")
			.exchange());
		assertThat(body).containsKey("predictions");
	}

	private String predictLabel(String text) {
		Map<String, List<Map<String, Object>>> body = this.client.post()
			.uri(V1)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(Map.of("instances", List.of(text)))
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(new ParameterizedTypeReference<Map<String, List<Map<String, Object>>>>() {
			})
			.returnResult()
			.getResponseBody();
		return (String) body.get("predictions").get(0).get("label");
	}

}
