package io.eino.serving.server;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Closes a connection only once the request's body has arrived, reading and discarding
 * the rest of it, for at most {@link #LINGER}: a connection closed with request bytes
 * unread is reset by the kernel, and the reset destroys the response the client had not
 * read yet (a {@code GET} sent with a body and {@code Connection: close} lost most of a
 * large answer). Web servers call this a lingering close; Reactor Netty has none.
 */
final class LingeringClose extends ChannelDuplexHandler {

	private static final String NAME = "eino.lingeringClose";

	/** The longest a close waits for the rest of a body. */
	static final long LINGER = TimeUnit.SECONDS.toNanos(2);

	private boolean bodyPending;

	/** The request asked to be told to continue before sending its body. */
	private boolean expectsContinue;

	private boolean continued;

	private ChannelPromise deferred;

	private ScheduledFuture<?> timer;

	/** Adds one to a new connection, right after its HTTP/1.1 codec; else nothing. */
	static void install(Channel channel) {
		ConnectionSettings.addAfterCodec(channel, NAME, new LingeringClose());
	}

	@Override
	public void channelRead(ChannelHandlerContext context, Object message) {
		if (message instanceof HttpRequest request) {
			this.bodyPending = !(message instanceof LastHttpContent);
			this.expectsContinue = HttpUtil.is100ContinueExpected(request);
			this.continued = false;
		}
		else if (message instanceof LastHttpContent) {
			this.bodyPending = false;
		}
		if (message instanceof HttpObject http && http.decoderResult().isFailure()) {
			// The decoder reads nothing more of this connection: no body will come.
			this.bodyPending = false;
		}
		if (this.deferred != null) {
			// The answer is sent: whatever still arrives is read only to be dropped.
			ReferenceCountUtil.release(message);
			if (!this.bodyPending) {
				closeNow(context);
			}
			else if (!context.channel().config().isAutoRead()) {
				context.read();
			}
			return;
		}
		context.fireChannelRead(message);
	}

	@Override
	public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) {
		if (message instanceof HttpResponse response && response.status().equals(HttpResponseStatus.CONTINUE)) {
			this.continued = true;
		}
		context.write(message, promise);
	}

	@Override
	public void channelInactive(ChannelHandlerContext context) {
		closeNow(context);
		context.fireChannelInactive();
	}

	@Override
	public void close(ChannelHandlerContext context, ChannelPromise promise) {
		// A body that waits to be told to continue, and was not, never comes.
		boolean coming = this.bodyPending && (!this.expectsContinue || this.continued);
		if (coming && this.deferred == null && context.channel().isActive()) {
			this.deferred = promise;
			this.timer = context.executor().schedule(() -> closeNow(context), LINGER, TimeUnit.NANOSECONDS);
			context.channel().config().setAutoRead(true);
			context.read();
			return;
		}
		if (this.deferred != null && promise != this.deferred) {
			// A second close while lingering: done when the first is.
			this.deferred.addListener((closed) -> promise.trySuccess());
			return;
		}
		context.close(promise);
	}

	private void closeNow(ChannelHandlerContext context) {
		ChannelPromise promise = this.deferred;
		if (promise == null || promise.isDone()) {
			return;
		}
		if (this.timer != null) {
			this.timer.cancel(false);
		}
		this.bodyPending = false;
		context.close(promise);
	}

}
