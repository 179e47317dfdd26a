package io.eino.serving.server;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Problems;
import io.eino.serving.error.Rule;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import reactor.netty.NettyPipeline;
import tools.jackson.databind.json.JsonMapper;

/**
 * Gives a problem body to Reactor Netty's answer for what Netty's HTTP/1.1 decoder could
 * not read (a malformed request line or header, a request line or headers over their
 * limits, a malformed chunked body), which it sends as a bare status and then closes the
 * connection. Reactor Netty still decides when and whether to answer (in order behind
 * pipelined requests, or not at all once a response has started); this handler, right
 * after the codec, notes the failure on the way in and fills in the problem, naming the
 * rule, on the way out. Counted in {@code eino.errors}; never logged as an error (the
 * client's bytes are at fault). Hand-written: Reactor Netty has no hook for that body.
 */
@ChannelHandler.Sharable
final class DecodeFailures extends ChannelDuplexHandler {

	private static final String NAME = "eino.decodeFailures";

	private static final AttributeKey<Failure> FAILURE = AttributeKey.valueOf(NAME);

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
		if (message instanceof HttpObject http && http.decoderResult().isFailure()) {
			context.channel()
				.attr(FAILURE)
				.setIfAbsent(failure(http.decoderResult().cause(), message instanceof HttpRequest));
		}
		context.fireChannelRead(message);
	}

	@Override
	public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) {
		Failure failure = context.channel().attr(FAILURE).get();
		if (failure != null && message instanceof FullHttpResponse bare && bare.status().code() >= 400
				&& !bare.content().isReadable()) {
			context.channel().attr(FAILURE).set(null);
			Rule rule = (failure.status() == bare.status().code()) ? failure.rule()
					: Rule.ofFrameworkStatus(bare.status().code());
			Failure answered = (rule == failure.rule()) ? failure : new Failure(rule, failure.detail());
			this.errors.count(answered);
			byte[] body = JSON.writeValueAsBytes(Problems.body(answered, "", null));
			FullHttpResponse problem = new DefaultFullHttpResponse(bare.protocolVersion(), bare.status(),
					Unpooled.wrappedBuffer(body));
			problem.headers().set(bare.headers());
			problem.headers()
				.set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json")
				.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
			bare.release();
			context.write(problem, promise);
			return;
		}
		context.write(message, promise);
	}

	/** The rule the bytes broke, and what the decoder said of them. */
	static Failure failure(Throwable cause, boolean request) {
		String said = (cause != null && cause.getMessage() != null) ? ": " + cause.getMessage() : "";
		if (request && cause instanceof TooLongHttpLineException) {
			return new Failure(Rule.URI_TOO_LONG, "The request line is longer than the server reads" + said);
		}
		if (request && cause instanceof TooLongHttpHeaderException) {
			return new Failure(Rule.HEADERS_TOO_LARGE, "The request headers are larger than the server reads" + said);
		}
		return new Failure(Rule.MALFORMED_REQUEST, (request ? "The request line or headers are not valid HTTP/1.1"
				: "The request body's chunked framing is not valid HTTP/1.1") + said);
	}

}
