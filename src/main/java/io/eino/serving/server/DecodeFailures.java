package io.eino.serving.server;

import java.util.ArrayDeque;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Problems;
import io.eino.serving.error.Rule;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import tools.jackson.databind.json.JsonMapper;

/**
 * Gives a problem body to the bare error statuses answered outside the service's own
 * handlers: Reactor Netty's for what Netty's HTTP/1.1 decoder could not read (a malformed
 * request line or header, a request line or headers over their limits, a malformed
 * chunked body), Spring's for a request target that is not a valid URI (an escape such as
 * {@code %zz}), and any other error answered with no body at all (an actuator endpoint's
 * 404 for an unknown part of it). Reactor Netty still decides when and whether to answer
 * (in order behind pipelined requests, or not at all once a response has started); this
 * handler, right after the codec, notes the failure on the way in and fills in the
 * problem, naming the rule, on the way out (not for a HEAD request, whose answer has no
 * body). Counted in {@code eino.errors}; never logged as an error (the client's bytes are
 * at fault). Hand-written: neither has a hook for that body.
 */
@ChannelHandler.Sharable
final class DecodeFailures extends ChannelDuplexHandler {

	private static final String NAME = "eino.decodeFailures";

	private static final AttributeKey<Failure> FAILURE = AttributeKey.valueOf(NAME);

	/** Set once the decoder failed on the connection: Reactor Netty answers for it. */
	private static final AttributeKey<Boolean> DECODE_FAILED = AttributeKey.valueOf(NAME + ".failed");

	/** The methods of the requests not answered yet, in order (pipelining). */
	private static final AttributeKey<ArrayDeque<HttpMethod>> METHODS = AttributeKey.valueOf(NAME + ".methods");

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final ErrorMetrics errors;

	DecodeFailures(ErrorMetrics errors) {
		this.errors = errors;
	}

	/** Adds it right after a new connection's HTTP/1.1 codec, once; else nothing. */
	void install(Channel channel) {
		ConnectionSettings.addAfterCodec(channel, NAME, this);
	}

	@Override
	public void channelRead(ChannelHandlerContext context, Object message) {
		if (message instanceof HttpRequest request) {
			methods(context).add(request.method());
		}
		if (message instanceof HttpObject http && http.decoderResult().isFailure()) {
			context.channel().attr(DECODE_FAILED).set(Boolean.TRUE);
			context.channel()
				.attr(FAILURE)
				.setIfAbsent(failure(http.decoderResult().cause(), message instanceof HttpRequest));
		}
		context.fireChannelRead(message);
	}

	@Override
	public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) {
		boolean head = message instanceof HttpResponse response
				&& !response.status().codeClass().equals(HttpStatusClass.INFORMATIONAL)
				&& HttpMethod.HEAD.equals(methods(context).poll());
		Failure failure = context.channel().attr(FAILURE).get();
		if (message instanceof FullHttpResponse bare && !bare.content().isReadable()
				&& !bare.headers().contains(HttpHeaderNames.CONTENT_TYPE) && !head && bare.status().code() >= 400
				// Only where a rule says this status: a problem never contradicts it.
				&& Rule.ofFrameworkStatus(bare.status().code()).status() == bare.status().code()) {
			context.channel().attr(FAILURE).set(null);
			int status = bare.status().code();
			Failure answered = (failure == null)
					? new Failure(Rule.ofFrameworkStatus(status),
							(status == 400) ? UNREADABLE : Rule.ofFrameworkStatus(status).title())
					: (failure.status() == status) ? failure
							: new Failure(Rule.ofFrameworkStatus(status), failure.detail());
			this.errors.count(answered);
			byte[] body = JSON.writeValueAsBytes(Problems.body(answered, "", null));
			FullHttpResponse problem = new DefaultFullHttpResponse(bare.protocolVersion(), bare.status(),
					Unpooled.wrappedBuffer(body));
			problem.headers().set(bare.headers());
			problem.headers()
				.remove(HttpHeaderNames.TRANSFER_ENCODING)
				.set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json")
				.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
			bare.release();
			context.write(problem, promise);
			return;
		}
		context.write(message, promise);
	}

	/** Whether the decoder failed on the connection, so Reactor Netty answered itself. */
	static boolean decodeFailed(Channel channel) {
		return Boolean.TRUE.equals(channel.attr(DECODE_FAILED).get());
	}

	/** What a bare error says when the decoder did not fail: the target did not parse. */
	static final String UNREADABLE = "The request could not be read: its target is not a valid URI (an escape that is "
			+ "not %XX with two hex digits?)";

	private static ArrayDeque<HttpMethod> methods(ChannelHandlerContext context) {
		ArrayDeque<HttpMethod> methods = context.channel().attr(METHODS).get();
		if (methods == null) {
			methods = new ArrayDeque<>(2);
			context.channel().attr(METHODS).set(methods);
		}
		return methods;
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
