package io.eino.serving.server;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Problems;
import io.eino.serving.error.Rule;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import reactor.netty.NettyPipeline;
import tools.jackson.databind.json.JsonMapper;

/**
 * Answers what Netty's HTTP/1.1 decoder could not read (a malformed request line or
 * header, a request line or headers over their limits, a malformed chunked body) with an
 * RFC 9457 problem naming the rule, where Reactor Netty would send a bare status, and
 * closes the connection: nothing after the bad bytes can be framed. Counted in
 * {@code eino.errors} like any refusal; never logged as an error (the client's bytes are
 * at fault). Hand-written: Reactor Netty answers decoding failures itself, with no body.
 */
@ChannelHandler.Sharable
final class DecodeFailures extends ChannelInboundHandlerAdapter {

	private static final String NAME = "eino.decodeFailures";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final ErrorMetrics errors;

	DecodeFailures(ErrorMetrics errors) {
		this.errors = errors;
	}

	/** Adds it right after a new connection's HTTP/1.1 codec, once; else nothing. */
	void install(Channel channel) {
		ChannelPipeline pipeline = channel.pipeline();
		if (pipeline.get(NettyPipeline.HttpCodec) != null && pipeline.get(NAME) == null) {
			pipeline.addAfter(NettyPipeline.HttpCodec, NAME, this);
		}
	}

	@Override
	public void channelRead(ChannelHandlerContext context, Object message) {
		if (!(message instanceof HttpObject http) || !http.decoderResult().isFailure()) {
			context.fireChannelRead(message);
			return;
		}
		Throwable cause = http.decoderResult().cause();
		boolean request = message instanceof HttpRequest;
		ReferenceCountUtil.release(message);
		Failure failure = failure(cause, request);
		this.errors.count(failure);
		byte[] body = JSON.writeValueAsBytes(Problems.body(failure, "", null));
		FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
				HttpResponseStatus.valueOf(failure.status()), Unpooled.wrappedBuffer(body));
		response.headers()
			.set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json")
			.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
			.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
		context.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
	}

	/** The rule the bytes broke, and what the decoder said of them. */
	static Failure failure(Throwable cause, boolean request) {
		String said = (cause != null && cause.getMessage() != null) ? ": " + cause.getMessage() : "";
		if (cause instanceof TooLongHttpLineException) {
			return new Failure(Rule.URI_TOO_LONG, "The request line is longer than the server reads" + said);
		}
		if (cause instanceof TooLongHttpHeaderException) {
			return new Failure(Rule.HEADERS_TOO_LARGE, "The request headers are larger than the server reads" + said);
		}
		return new Failure(Rule.MALFORMED_REQUEST, (request ? "The request line or headers are not valid HTTP/1.1"
				: "The request body's chunked framing is not valid HTTP/1.1") + said);
	}

}
