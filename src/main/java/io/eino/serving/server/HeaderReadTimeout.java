package io.eino.serving.server;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import reactor.netty.NettyPipeline;

/**
 * Closes a connection whose request headers do not arrive whole in time (slowloris).
 * Reactor Netty's idle timeout is reset by every byte, and its request timeout starts
 * only once the headers are in, so neither catches a client that trickles its headers; no
 * library handler does this, hence this one.
 *
 * <p>
 * Two handlers share one state per connection: one before the HTTP codec sees raw bytes
 * and arms the timer at the first byte of a request, one after it sees the decoded
 * request and disarms it; the end of the request's body readies it for the next request.
 * When the timer fires the connection gets a bare 408 and is closed. Both run on the
 * connection's event loop, so the state needs no lock.
 */
final class HeaderReadTimeout {

	private static final byte[] TIMEOUT_RESPONSE = ("HTTP/1.1 408 Request Timeout\r\n"
			+ "Content-Length: 0\r\nConnection: close\r\n\r\n")
		.getBytes(StandardCharsets.US_ASCII);

	private static final String BYTES = "eino.headerReadTimeout.bytes";

	private static final String REQUESTS = "eino.headerReadTimeout.requests";

	private enum State {

		/** Between requests: the idle timeout applies. */
		IDLE,
		/** Bytes of a request arrived, its headers are not complete. */
		HEADERS,
		/** Headers complete; the body timeout applies. */
		BODY

	}

	private final long timeoutNanos;

	private State state = State.IDLE;

	private ScheduledFuture<?> timer;

	private HeaderReadTimeout(Duration timeout) {
		this.timeoutNanos = timeout.toNanos();
	}

	/**
	 * Adds the handlers around a new connection's HTTP/1.1 codec, once; does nothing
	 * where there is no such codec (the timeout is zero, or another protocol).
	 */
	static void install(Channel channel, Duration timeout) {
		ChannelPipeline pipeline = channel.pipeline();
		if (timeout.isZero() || pipeline.get(NettyPipeline.HttpCodec) == null || pipeline.get(BYTES) != null) {
			return;
		}
		HeaderReadTimeout shared = new HeaderReadTimeout(timeout);
		pipeline.addBefore(NettyPipeline.HttpCodec, BYTES, shared.new Bytes());
		pipeline.addAfter(NettyPipeline.HttpCodec, REQUESTS, shared.new Requests());
	}

	private void disarm() {
		if (this.timer != null) {
			this.timer.cancel(false);
			this.timer = null;
		}
	}

	/** Before the codec: raw bytes. */
	private final class Bytes extends ChannelInboundHandlerAdapter {

		@Override
		public void channelRead(ChannelHandlerContext context, Object message) {
			if (HeaderReadTimeout.this.state == State.IDLE && message instanceof ByteBuf bytes && bytes.isReadable()) {
				HeaderReadTimeout.this.state = State.HEADERS;
				HeaderReadTimeout.this.timer = context.executor()
					.schedule(() -> expire(context), HeaderReadTimeout.this.timeoutNanos, TimeUnit.NANOSECONDS);
			}
			context.fireChannelRead(message);
		}

		private void expire(ChannelHandlerContext context) {
			HeaderReadTimeout.this.timer = null;
			if (HeaderReadTimeout.this.state == State.HEADERS && context.channel().isActive()) {
				context.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT_RESPONSE))
					.addListener(ChannelFutureListener.CLOSE);
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext context) {
			disarm();
			context.fireChannelInactive();
		}

	}

	/** After the codec: decoded requests and their contents. */
	private final class Requests extends ChannelInboundHandlerAdapter {

		@Override
		public void channelRead(ChannelHandlerContext context, Object message) {
			if (message instanceof HttpRequest) {
				disarm();
				HeaderReadTimeout.this.state = State.BODY;
			}
			if (message instanceof LastHttpContent) {
				HeaderReadTimeout.this.state = State.IDLE;
			}
			context.fireChannelRead(message);
		}

	}

}
