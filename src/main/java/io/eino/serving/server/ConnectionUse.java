package io.eino.serving.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Tells a port's {@link ConnectionLimit} when an HTTP/1.1 connection is busy (from a
 * request's headers to the end of its response) and when idle, so that only idle
 * connections are ever closed to make room. Right after the codec; a connection without
 * one (nothing to watch) counts as busy for as long as it is open.
 */
@ChannelHandler.Sharable
final class ConnectionUse extends ChannelDuplexHandler {

	private static final String NAME = "eino.connectionUse";

	private final ConnectionLimit limit;

	ConnectionUse(ConnectionLimit limit) {
		this.limit = limit;
	}

	/** Watches a newly admitted connection, idle until its first request. */
	void install(Channel channel) {
		if (ConnectionSettings.addAfterCodec(channel, NAME, this)) {
			this.limit.idle(channel);
		}
	}

	@Override
	public void channelRead(ChannelHandlerContext context, Object message) {
		if (message instanceof HttpRequest) {
			this.limit.busy(context.channel());
		}
		context.fireChannelRead(message);
	}

	@Override
	public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) {
		boolean interim = message instanceof HttpResponse response
				&& response.status().codeClass().equals(io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL);
		context.write(message, promise);
		if (message instanceof LastHttpContent && !interim) {
			this.limit.idle(context.channel());
		}
	}

}
