package io.eino.serving.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * Sends bytes on a new loopback connection and reads the first final HTTP/1.1 response
 * (after any 1xx): its status line, headers, and body by its framing. Reads nothing more:
 * what follows belongs to the next request.
 */
final class RawExchange {

	/**
	 * What came back: the status (0 for none), the response head, its body, and how the
	 * exchange ended when there was no response.
	 */
	record Answer(int status, String head, String body, String ending) {

		boolean answered() {
			return this.status > 0;
		}

		String contentType() {
			for (String line : this.head.split("\r\n")) {
				if (line.toLowerCase(Locale.ROOT).startsWith("content-type:")) {
					return line.substring("content-type:".length()).trim();
				}
			}
			return "";
		}

	}

	private RawExchange() {
	}

	static Answer exchange(int port, byte[] request, boolean head, Duration timeout) throws IOException {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
			socket.setSoTimeout((int) timeout.toMillis());
			try {
				socket.getOutputStream().write(request);
				socket.getOutputStream().flush();
			}
			catch (SocketException ex) {
				// Closed while sending: the answer, if any, is still to be read.
			}
			return read(socket.getInputStream(), head);
		}
	}

	private static Answer read(InputStream in, boolean head) throws IOException {
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		try {
			while (true) {
				int end = indexOf(received.toByteArray(), "\r\n\r\n");
				while (end < 0) {
					if (!fill(in, received)) {
						return new Answer(0, "", "", "closed after " + received.size() + " bytes");
					}
					end = indexOf(received.toByteArray(), "\r\n\r\n");
				}
				byte[] all = received.toByteArray();
				String responseHead = new String(all, 0, end, StandardCharsets.ISO_8859_1);
				int status = Integer.parseInt(responseHead.substring(9, 12));
				ByteArrayOutputStream rest = new ByteArrayOutputStream();
				rest.write(all, end + 4, all.length - end - 4);
				if (status >= 100 && status < 200) {
					received = rest;
					continue;
				}
				String lower = responseHead.toLowerCase(Locale.ROOT);
				int length = contentLength(lower);
				if (head || status == 204 || status == 304) {
					return new Answer(status, responseHead, "", "");
				}
				if (length >= 0) {
					while (rest.size() < length && fill(in, rest)) {
						// reading the declared body
					}
				}
				else if (lower.contains("transfer-encoding: chunked")) {
					while (indexOf(rest.toByteArray(), "\r\n0\r\n\r\n") < 0
							&& indexOf(rest.toByteArray(), "0\r\n\r\n") != 0 && fill(in, rest)) {
						// reading to the last chunk
					}
				}
				else {
					while (fill(in, rest)) {
						// reading to the close
					}
				}
				return new Answer(status, responseHead, rest.toString(StandardCharsets.UTF_8), "");
			}
		}
		catch (SocketTimeoutException ex) {
			return new Answer(0, "", "", "no answer within the timeout, " + received.size() + " bytes");
		}
		catch (SocketException ex) {
			return new Answer(0, "", "", "reset after " + received.size() + " bytes: " + ex.getMessage());
		}
	}

	private static boolean fill(InputStream in, ByteArrayOutputStream into) throws IOException {
		byte[] buffer = new byte[8192];
		int read = in.read(buffer);
		if (read < 0) {
			return false;
		}
		into.write(buffer, 0, read);
		return true;
	}

	private static int contentLength(String lowerHead) {
		for (String line : lowerHead.split("\r\n")) {
			if (line.startsWith("content-length:")) {
				return Integer.parseInt(line.substring("content-length:".length()).trim());
			}
		}
		return -1;
	}

	private static int indexOf(byte[] data, String what) {
		byte[] needle = what.getBytes(StandardCharsets.ISO_8859_1);
		outer: for (int i = 0; i + needle.length <= data.length; i++) {
			for (int j = 0; j < needle.length; j++) {
				if (data[i + j] != needle[j]) {
					continue outer;
				}
			}
			return i;
		}
		return -1;
	}

}
