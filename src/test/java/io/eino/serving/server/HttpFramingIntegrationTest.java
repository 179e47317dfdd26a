package io.eino.serving.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import io.eino.serving.LogLines;
import io.eino.serving.api.DefaultServingContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes that are not HTTP/1.1, sent over raw sockets to both ports: each is answered with
 * a problem naming its rule (not a bare status), the connection is closed, nothing is
 * logged as an error, and the port goes on serving.
 */
@ExtendWith(OutputCaptureExtension.class)
class HttpFramingIntegrationTest extends DefaultServingContext {

	@Value("${local.server.port}")
	private int port;

	@Value("${local.management.port}")
	private int managementPort;

	@ParameterizedTest
	@ValueSource(strings = { "public", "management" })
	void whatTheDecoderCannotReadIsAProblemNamingItsRule(String which, CapturedOutput output) throws IOException {
		int port = which.equals("public") ? this.port : this.managementPort;
		int logged = output.getAll().length();
		assertProblem(exchange(port, "GARBAGE\r\n\r\n"), 400, "malformed-request");
		assertProblem(exchange(port, "GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n"), 400,
				"malformed-request");
		assertProblem(exchange(port, "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414,
				"uri-too-long");
		assertProblem(exchange(port, "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(70_000) + "\r\n\r\n"),
				431, "headers-too-large");
		for (String path : new String[] { "/../etc/passwd", "/v1/models/..%2Fx:predict", "/v1/models/a%00b:predict",
				"/v1//models" }) {
			assertProblem(exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 400,
					"malformed-request");
		}
		// A target that is not a valid URI: Spring answers it, bare, before any handler.
		assertProblem(exchange(port, "GET /v2/models/s%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 400,
				"malformed-request");
		assertThat(exchange(port, "HEAD /v2/models/s%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
			.as("no body for HEAD")
			.startsWith("HTTP/1.1 400 ")
			.doesNotContainIgnoringCase("content-type")
			.endsWith("\r\n\r\n");
		String live = which.equals("public") ? "/v2/health/live" : "/actuator/health/liveness";
		assertThat(
				exchange(port, "GET " + live + " HTTP/1.1\r\nHost: x\r\nAccept: garbage\r\nConnection: close\r\n\r\n"))
			.as("an Accept that does not parse is ignored")
			.startsWith("HTTP/1.1 200");
		assertThat(exchange(port, "GET " + live + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
			.as("the port goes on serving")
			.startsWith("HTTP/1.1 200");
		String log = output.getAll().substring(logged);
		LogLines.assertNoErrorOrStackTrace(log);
	}

	@Test
	void aBodyWithBadChunkFramingIsAProblemAndNoError(CapturedOutput output) throws IOException {
		int logged = output.getAll().length();
		String response = exchange(this.port,
				"POST /v1/models/sentiment:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
						+ "Transfer-Encoding: chunked\r\n\r\nzz\r\n{\"instances\": [\"fine\"]}\r\n0\r\n\r\n");
		assertProblem(response, 400, "malformed-request");
		String log = output.getAll().substring(logged);
		LogLines.assertNoErrorOrStackTrace(log);
	}

	@Test
	void anAnswerIsNotCutByTheRestOfABodyItDidNotRead() throws IOException {
		String body = "x".repeat(300_000);
		String answer = exchange(this.managementPort,
				"GET /actuator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
						+ "Content-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
		assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("}");
		String predicted = exchange(this.port,
				"GET /v1/models/sentiment/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
						+ "Content-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
		assertThat(predicted).startsWith("HTTP/1.1 200 ").endsWith("}");
	}

	@Test
	void anUnknownHealthPathIsNotFound(CapturedOutput output) throws IOException {
		int logged = output.getAll().length();
		assertProblem(
				exchange(this.managementPort,
						"GET /actuator/health/nothing/here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
				404, "not-found");
		assertThat(output.getAll().substring(logged).lines().filter((line) -> line.contains(" ERROR ")).toList())
			.isEmpty();
	}

	@Test
	void aBadRequestPipelinedBehindAGoodOneIsAnsweredAfterIt() throws IOException {
		String responses = exchange(this.port, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n");
		assertThat(responses).startsWith("HTTP/1.1 200");
		int second = responses.indexOf("HTTP/1.1 400");
		assertThat(second).as("the problem comes second").isPositive();
		assertProblem(responses.substring(second), 400, "malformed-request");
	}

	private static void assertProblem(String response, int status, String rule) {
		assertThat(response).startsWith("HTTP/1.1 " + status + " ");
		assertThat(response).containsIgnoringCase("content-type: application/problem+json")
			.contains("\"type\":\"urn:eino:problem:" + rule + "\"")
			.contains("\"status\":" + status);
	}

	/** Sends {@code request} on a new connection and reads until the server closes it. */
	private static String exchange(int port, String request) throws IOException {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
			socket.setSoTimeout(10_000);
			socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
			socket.getOutputStream().flush();
			ByteArrayOutputStream received = new ByteArrayOutputStream();
			InputStream in = socket.getInputStream();
			byte[] buffer = new byte[8192];
			try {
				for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
					received.write(buffer, 0, read);
				}
			}
			catch (java.net.SocketException ex) {
				// A reset after the answer: what arrived is the answer.
			}
			return received.toString(StandardCharsets.ISO_8859_1);
		}
	}

}
