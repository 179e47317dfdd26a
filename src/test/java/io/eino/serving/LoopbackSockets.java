package io.eino.serving;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Raw loopback sockets for the tests and load runs that must send what no HTTP client
 * sends: partial headers, stalled bodies, idle connections, requests abandoned midway.
 */
public final class LoopbackSockets {

	private LoopbackSockets() {
	}

	/**
	 * A connection to {@code port} on 127.0.0.1 from the loopback address {@code from}.
	 */
	public static Socket connect(int port, String from) throws IOException {
		Socket socket = new Socket();
		socket.bind(new InetSocketAddress(from, 0));
		socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
		return socket;
	}

	/** A connection to {@code port} on 127.0.0.1 from 127.0.0.1. */
	public static Socket connect(int port) throws IOException {
		return connect(port, "127.0.0.1");
	}

	public static void send(Socket socket, String text) throws IOException {
		OutputStream out = socket.getOutputStream();
		out.write(text.getBytes(StandardCharsets.UTF_8));
		out.flush();
	}

	/**
	 * Everything the server sends until it closes, or until {@code limit} (then
	 * {@code [still open]} is appended).
	 */
	public static String readUntilClosed(Socket socket, Duration limit) throws IOException {
		socket.setSoTimeout((int) limit.toMillis());
		InputStream in = socket.getInputStream();
		StringBuilder answer = new StringBuilder();
		byte[] buffer = new byte[8192];
		try {
			for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
				answer.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
			}
		}
		catch (SocketTimeoutException ex) {
			answer.append("[still open]");
		}
		return answer.toString();
	}

	/**
	 * Whether the server closed a connection it was sent nothing on (end of stream within
	 * {@code wait}).
	 */
	public static boolean closedByPeer(Socket socket, Duration wait) {
		try {
			socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
			return socket.getInputStream().read() < 0;
		}
		catch (SocketTimeoutException ex) {
			return false;
		}
		catch (IOException ex) {
			return true;
		}
	}

}
