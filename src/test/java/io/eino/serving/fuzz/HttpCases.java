package io.eino.serving.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded mutations of valid HTTP/1.1 requests: the request line (method, path with
 * encoded traversal, NUL, invalid escapes and overlong segments, version), the headers
 * (framing headers that conflict or do not parse, content types, Accept, non-ASCII and
 * nameless headers, folding), the chunked framing (sizes that are not hex, extensions,
 * missing line ends, trailers) and the JSON body (truncated, flipped bytes, deep nesting,
 * huge numbers and strings, invalid UTF-8, wrong types).
 *
 * <p>
 * Every case is complete by HTTP/1.1's framing: the server has all it needs to answer (a
 * declared body is always sent whole, a chunked body always ends), so a case with no
 * answer is the server's fault, never the client's silence. Hand-written: the fuzzers
 * made for the field drive in-process code, not a server's bytes on a socket.
 */
final class HttpCases {

	/** One case: what it was made from and how, and its bytes. */
	record Case(String name, byte[] bytes, boolean head) {
	}

	/** A request before serialisation. */
	private static final class Request {

		String method;

		String path;

		String version = "HTTP/1.1";

		final List<Map.Entry<String, String>> headers = new ArrayList<>();

		byte[] body;

		boolean chunked;

		boolean lengthSet;

		int lengthForm;

		boolean lengthRepeated;

		final List<String> mutations = new ArrayList<>();

		Request(String method, String path, String contentType, String body) {
			this.method = method;
			this.path = path;
			this.headers.add(Map.entry("Host", "127.0.0.1"));
			this.headers.add(Map.entry("Connection", "close"));
			if (contentType != null) {
				this.headers.add(Map.entry("Content-Type", contentType));
			}
			this.body = (body != null) ? body.getBytes(StandardCharsets.UTF_8) : null;
		}

	}

	private static final String[] METHODS = { "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
			"CONNECT", "PRI", "G ET", "get", "POST\u0000", "\u00e9X", "X".repeat(300) };

	private static final String[] VERSIONS = { "HTTP/1.0", "HTTP/0.9", "HTTP/2.0", "HTTP/1.10", "HTTP/1.1x", "http/1.1",
			"HTTP/9.9", "", "HTTP/1.1 extra", "HTTP" };

	private static final String[] PATH_PIECES = { "/..", "/../..", "%2e%2e%2f", "..%2F", "%00", "%zz", "%", "//", "/./",
			";jsessionid=1", "?a=%ff", "#frag", "%c0%af", "\u00e9", "%ef%bf%bd", "\\..\\", ":predict", ":infer", "/%2F",
			" ", "\t", "*", "http://evil.example/x" };

	private static final String[] CONTENT_TYPES = { "text/plain", "application/json; charset=latin1",
			"application/json; charset=utf-16", "application/x-www-form-urlencoded", "multipart/form-data",
			"application/octet-stream", "application/problem+json", "application/json;;;", "", "garbage",
			"application/*", "*/*", "application/json; boundary=\"", "text/event-stream" };

	private static final String[] ACCEPTS = { "image/png, text/*;q=0", "text/event-stream", "application/x-ndjson",
			"text/plain", "*/*;q=0", "application/json;q=abc", "garbage", "", "application/problem+json",
			"application/xml" };

	private static final String[] HEADER_LINES = { "Bad Header: x", "NoColon", ": empty-name", "X-Folded: a\r\n b",
			"X-Ctl: a\u0001b", "X-Latin: \u00ff\u00fe", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked, gzip",
			"Content-Encoding: gzip", "Expect: 100-continue", "Expect: something-else", "Upgrade: h2c",
			"Upgrade: websocket", "Connection: upgrade", "Host: a\r\nHost: b", "X-Forwarded-For: ::zz, 1.2.3.4",
			"Eino-Priority: 99999999999", "Eino-Priority: -1", "X-Api-Key: \u0000", "Range: bytes=0-1",
			"X-Big: " + "b".repeat(6000), "Content-Length : 3", "Transfer-Encoding:\tchunked" };

	private final SplittableRandom random;

	HttpCases(long seed) {
		this.random = new SplittableRandom(seed);
	}

	/** The next case, from one of {@code seeds}' requests, mutated one to three times. */
	Case next(List<String[]> seeds) {
		String[] seed = seeds.get(this.random.nextInt(seeds.size()));
		Request request = new Request(seed[0], seed[1], seed[2], seed[3]);
		int mutations = 1 + this.random.nextInt(3);
		for (int i = 0; i < mutations; i++) {
			mutate(request);
		}
		return new Case(String.join(" ", seed[0], seed[1]) + " " + request.mutations, serialise(request),
				request.method.equals("HEAD"));
	}

	private void mutate(Request request) {
		switch (this.random.nextInt(9)) {
			case 0 -> {
				request.method = pick(METHODS);
				request.mutations.add("method " + request.method);
			}
			case 1, 2 -> {
				String piece = pick(PATH_PIECES);
				int at = this.random.nextInt(request.path.length() + 1);
				request.path = request.path.substring(0, at) + piece + request.path.substring(at);
				if (this.random.nextInt(10) == 0) {
					request.path += "/" + "a".repeat(this.random.nextInt(5000));
				}
				request.mutations.add("path " + request.path.substring(0, Math.min(80, request.path.length())));
			}
			case 3 -> {
				request.version = pick(VERSIONS);
				request.mutations.add("version " + request.version);
			}
			case 4 -> {
				int kind = this.random.nextInt(3);
				String name = (kind == 0) ? "Content-Type" : (kind == 1) ? "Accept" : "X-Line";
				String value = (kind == 0) ? pick(CONTENT_TYPES) : (kind == 1) ? pick(ACCEPTS) : pick(HEADER_LINES);
				request.headers.removeIf((header) -> header.getKey().equals(name));
				request.headers.add(Map.entry(name, value));
				request.mutations.add(name + " " + value.substring(0, Math.min(40, value.length())));
			}
			case 5 -> lengths(request);
			case 6 -> {
				request.chunked = true;
				request.mutations.add("chunked");
			}
			default -> body(request);
		}
	}

	/**
	 * Content-Length headers that conflict, do not parse, or are shorter than the body:
	 * chosen now, written from the final body's length (a later mutation may change it).
	 */
	private void lengths(Request request) {
		request.lengthForm = this.random.nextInt(7);
		request.lengthRepeated = this.random.nextBoolean();
		if (this.random.nextInt(4) == 0) {
			request.headers.add(Map.entry("Transfer-Encoding", "chunked"));
			request.chunked = true;
		}
		request.lengthSet = true;
		request.mutations.add("Content-Length form " + request.lengthForm);
	}

	private static String lengthValue(int form, int length) {
		return switch (form) {
			case 0 -> length + ", " + (length + 1);
			case 1 -> "-1";
			case 2 -> "+" + length;
			case 3 -> "0x10";
			case 4 -> "99999999999999999999";
			case 5 -> " ";
			default -> Integer.toString(Math.max(0, length - 3));
		};
	}

	private void body(Request request) {
		byte[] body = (request.body != null) ? request.body : "{\"instances\": [\"fine\"]}".getBytes();
		String name;
		switch (this.random.nextInt(9)) {
			case 0 -> {
				int at = this.random.nextInt(body.length + 1);
				body = java.util.Arrays.copyOf(body, at);
				name = "truncated at " + at;
			}
			case 1 -> {
				body = body.clone();
				for (int i = 0; i < 1 + this.random.nextInt(4); i++) {
					body[this.random.nextInt(body.length)] = (byte) this.random.nextInt(256);
				}
				name = "flipped bytes";
			}
			case 2 -> {
				int depth = 10 + this.random.nextInt(20_000);
				body = ("{\"instances\": " + "[".repeat(depth) + "\"a\"" + "]".repeat(depth) + "}").getBytes();
				name = "nested " + depth;
			}
			case 3 -> {
				body = "{\"instances\": [1e999999, -0, 12345678901234567890123456789, NaN]}".getBytes();
				name = "numbers";
			}
			case 4 -> {
				body = ("{\"instances\": [\"" + "x".repeat(this.random.nextInt(200_000)) + "\"]}").getBytes();
				name = "long string";
			}
			case 5 -> {
				body = new byte[] { '{', '"', 'i', 'n', 's', 't', 'a', 'n', 'c', 'e', 's', '"', ':', '[', '"',
						(byte) 0xc0, (byte) 0xaf, (byte) 0xff, 0, '"', ']', '}' };
				name = "invalid UTF-8";
			}
			case 6 -> {
				String[] shapes = { "{\"instances\": null}", "{\"instances\": []}", "{\"instances\": {}}",
						"{\"inputs\": {\"text\": [[[\"a\"]]]}}", "[]", "null", "\"str\"",
						"{\"instances\": [\"a\"], \"instances\": 1}", "\ufeff{\"instances\": [\"a\"]}",
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[-1],\"data\":[\"a\"]}]}",
						"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"FP64\",\"shape\":[99999999999],\"data\":[1]}]}",
						"{\"signature_name\": {}, \"instances\": [\"a\"]}" };
				String shape = pick(shapes);
				body = shape.getBytes(StandardCharsets.UTF_8);
				name = "shape " + shape.substring(0, Math.min(30, shape.length()));
			}
			case 7 -> {
				byte[] noise = new byte[this.random.nextInt(2000)];
				for (int i = 0; i < noise.length; i++) {
					noise[i] = (byte) this.random.nextInt(256);
				}
				body = noise;
				name = "noise " + noise.length;
			}
			default -> {
				body = "{\"instances\": [\"a\"]}  trailing garbage {".getBytes();
				name = "trailing garbage";
			}
		}
		request.body = body;
		request.mutations.add("body " + name);
	}

	private byte[] serialise(Request request) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		write(out, request.method + " " + request.path + (request.version.isEmpty() ? "" : " " + request.version)
				+ "\r\n");
		for (Map.Entry<String, String> header : request.headers) {
			write(out,
					(header.getKey().equals("X-Line") ? header.getValue() : header.getKey() + ": " + header.getValue())
							+ "\r\n");
		}
		byte[] body = (request.body != null) ? request.body : new byte[0];
		if (request.lengthSet) {
			write(out, "Content-Length: " + lengthValue(request.lengthForm, body.length) + "\r\n");
			if (request.lengthRepeated) {
				write(out, "Content-Length: " + body.length + "\r\n");
			}
		}
		if (request.chunked) {
			write(out, "Transfer-Encoding: chunked\r\n\r\n");
			chunks(out, body);
		}
		else {
			if (!request.lengthSet && (request.body != null)) {
				write(out, "Content-Length: " + body.length + "\r\n");
			}
			write(out, "\r\n");
			out.writeBytes(body);
		}
		return out.toByteArray();
	}

	/** The body in chunks, with at most one framing fault, always ending. */
	private void chunks(ByteArrayOutputStream out, byte[] body) {
		int fault = this.random.nextInt(8);
		int at = 0;
		while (at < body.length) {
			int size = Math.min(body.length - at, 1 + this.random.nextInt(64));
			String line = Integer.toHexString(size);
			if (fault == 1 && at == 0) {
				line = "zz";
			}
			else if (fault == 2 && at == 0) {
				line += ";ext=\"v\"";
			}
			else if (fault == 3 && at == 0) {
				line = "-" + line;
			}
			write(out, line + ((fault == 4) ? "\n" : "\r\n"));
			out.write(body, at, size);
			write(out, (fault == 5 && at == 0) ? "" : "\r\n");
			at += size;
		}
		write(out, (fault == 6) ? "0\r\nX-Trailer: t\r\nBad Trailer\r\n\r\n" : "0\r\n\r\n");
	}

	private String pick(String[] values) {
		return values[this.random.nextInt(values.length)];
	}

	private static void write(ByteArrayOutputStream out, String text) {
		out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
	}

}
