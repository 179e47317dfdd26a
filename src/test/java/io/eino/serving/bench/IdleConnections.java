package io.eino.serving.bench;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;

import io.eino.serving.LoopbackSockets;

/**
 * A helper process of {@link TrafficLoad}: opens {@code count} connections from
 * {@code fromAddress} to {@code port} on loopback, sends nothing, prints
 * {@code opened N failed M}, and when its standard input ends prints {@code open K} (how
 * many the service has not closed) and exits. One process can hold only as many
 * connections as its file-descriptor limit allows, so the traffic run uses several.
 */
public final class IdleConnections {

	private IdleConnections() {
	}

	public static void main(String[] args) throws IOException {
		int count = Integer.parseInt(args[0]);
		String from = args[1];
		int port = Integer.parseInt(args[2]);
		List<Socket> sockets = new ArrayList<>();
		int failed = 0;
		for (int i = 0; i < count; i++) {
			try {
				sockets.add(LoopbackSockets.connect(port, from));
			}
			catch (IOException ex) {
				failed++;
			}
		}
		System.out.println("opened " + sockets.size() + " failed " + failed);
		System.out.flush();
		while (System.in.read() >= 0) {
			// wait for the driver to close our input
		}
		long open = sockets.stream()
			.filter((socket) -> !LoopbackSockets.closedByPeer(socket, Duration.ofMillis(1)))
			.count();
		System.out.println("open " + open);
		for (Socket socket : sockets) {
			socket.close();
		}
	}

}
