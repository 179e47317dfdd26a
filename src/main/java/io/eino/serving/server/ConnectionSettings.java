package io.eino.serving.server;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;

import com.sun.management.UnixOperatingSystemMXBean;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;

/**
 * Applies {@link ServerLimits} to a Reactor Netty server: idle timeout, body (request)
 * timeout, header timeout ({@link HeaderReadTimeout}) and the connection limits, shared
 * between clients ({@link ConnectionLimit}, told of idle connections by
 * {@link ConnectionUse}); and problems for what the HTTP decoder cannot read
 * ({@link DecodeFailures}).
 */
final class ConnectionSettings {

	private ConnectionSettings() {
	}

	/**
	 * @param limit the port's connection limit, applied as connections are accepted
	 * @param decodeFailures answers what the HTTP decoder could not read
	 */
	static HttpServer apply(HttpServer server, ServerLimits limits, ConnectionLimit limit,
			DecodeFailures decodeFailures) {
		Duration headerTimeout = limits.headerReadTimeout();
		HttpServer configured = server.idleTimeout(limits.idleTimeout()).requestTimeout(limits.bodyReadTimeout());
		ConnectionUse use = new ConnectionUse(limit);
		return configured.doOnChannelInit((observer, channel, remoteAddress) -> {
			if (limit.admit(channel, client(channel.remoteAddress()))) {
				decodeFailures.install(channel);
				use.install(channel);
				LingeringClose.install(channel);
				HeaderReadTimeout.install(channel, headerTimeout);
			}
		});
	}

	/**
	 * Adds {@code handler} right after a new connection's HTTP/1.1 codec, once; nothing
	 * where there is no such codec.
	 * @return whether it was added
	 */
	static boolean addAfterCodec(Channel channel, String name, ChannelHandler handler) {
		ChannelPipeline pipeline = channel.pipeline();
		if (pipeline.get(NettyPipeline.HttpCodec) == null || pipeline.get(name) != null) {
			return false;
		}
		pipeline.addAfter(NettyPipeline.HttpCodec, name, handler);
		return true;
	}

	/** Whom a connection's share is counted against: its peer's address, without port. */
	static Object client(SocketAddress remoteAddress) {
		return (remoteAddress instanceof InetSocketAddress inet && inet.getAddress() != null) ? inet.getAddress()
				: remoteAddress;
	}

	/** The part of the public connection limit one client holds when not configured. */
	static final int AUTOMATIC_CLIENT_SHARE = 4;

	/**
	 * Connections one client holds on the public port: {@code
	 * eino.server.max-connections-per-client}, or for {@code 0} a quarter of the port's
	 * limit.
	 */
	static int maxConnectionsPerClient(ServerLimits limits, int maxConnections) {
		int configured = limits.maxConnectionsPerClient();
		return Math.min(maxConnections,
				(configured > 0) ? configured : Math.max(1, maxConnections / AUTOMATIC_CLIENT_SHARE));
	}

	/**
	 * Descriptors kept for everything but public connections when sizing from the limit.
	 */
	static final int RESERVED_DESCRIPTORS = 1024;

	/** The most public connections sized from the limit. */
	static final int MAX_AUTOMATIC_CONNECTIONS = 10_000;

	/**
	 * The public connection limit: {@code eino.server.max-connections}, or for {@code 0}
	 * sized from the file-descriptor limit.
	 */
	static int maxConnections(ServerLimits limits, long descriptorLimit) {
		if (limits.maxConnections() > 0) {
			return limits.maxConnections();
		}
		if (descriptorLimit <= 0) {
			return MAX_AUTOMATIC_CONNECTIONS;
		}
		return (int) Math.max(64, Math.min(MAX_AUTOMATIC_CONNECTIONS, descriptorLimit - RESERVED_DESCRIPTORS));
	}

	/** The process's file-descriptor limit, or -1 where the platform does not say. */
	static long descriptorLimit() {
		OperatingSystemMXBean system = ManagementFactory.getOperatingSystemMXBean();
		return (system instanceof UnixOperatingSystemMXBean unix) ? unix.getMaxFileDescriptorCount() : -1;
	}

}
