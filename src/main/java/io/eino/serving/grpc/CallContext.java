package io.eino.serving.grpc;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.eino.serving.client.Client;
import io.eino.serving.client.ClientResolver;
import io.eino.serving.inference.RequestOptions;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;

import org.springframework.http.HttpHeaders;

/**
 * Who sent a gRPC call and what it asks of scheduling, as the HTTP API reads them from
 * headers (docs/protocols.md, "gRPC"): the peer address and the metadata (an API key in
 * {@code x-api-key}, {@code x-forwarded-for} from trusted proxies, {@code eino-priority},
 * {@code eino-timeout-ms}) are kept in the call's {@link Context} by this interceptor;
 * the deadline is the call's own gRPC deadline, shortened by {@code eino-timeout-ms}.
 */
final class CallContext implements ServerInterceptor {

	private static final Context.Key<SocketAddress> PEER = Context.key("eino-peer");

	private static final Context.Key<HttpHeaders> HEADERS = Context.key("eino-headers");

	private static final long MAX_TIMEOUT_MILLIS = 600_000;

	private final ClientResolver clients;

	private final Tracer tracer;

	CallContext(ClientResolver clients, Tracer tracer) {
		this.clients = clients;
		this.tracer = tracer;
	}

	@Override
	public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata metadata,
			ServerCallHandler<Q, R> next) {
		HttpHeaders headers = new HttpHeaders();
		for (String key : metadata.keys()) {
			if (!key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
				String value = metadata.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
				if (value != null) {
					headers.add(key, value);
				}
			}
		}
		Context context = Context.current()
			.withValue(PEER, call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR))
			.withValue(HEADERS, headers);
		return Contexts.interceptCall(context, call, metadata, next);
	}

	/**
	 * The current call's client, resolved as for HTTP.
	 * @throws io.eino.serving.client.ApiKeyException for a missing or unknown key
	 */
	Client client() {
		SocketAddress peer = PEER.get();
		return this.clients.resolve((peer instanceof InetSocketAddress address) ? address : null, headers());
	}

	/** The current call's scheduling: its client, deadline, priority and trace id. */
	RequestOptions options(Client client) {
		HttpHeaders headers = headers();
		Duration timeout = null;
		Deadline deadline = Context.current().getDeadline();
		if (deadline != null) {
			timeout = Duration.ofNanos(Math.max(1, deadline.timeRemaining(TimeUnit.NANOSECONDS)));
		}
		String timeoutValue = headers.getFirst("eino-timeout-ms");
		if (timeoutValue != null) {
			Duration asked = Duration
				.ofMillis(RequestOptions.bounded("eino-timeout-ms", timeoutValue, 1, MAX_TIMEOUT_MILLIS));
			timeout = (timeout == null || asked.compareTo(timeout) < 0) ? asked : timeout;
		}
		int priority = RequestOptions.NORMAL_PRIORITY;
		String priorityValue = headers.getFirst("eino-priority");
		if (priorityValue != null && client.grantedPriorities()) {
			priority = (int) RequestOptions.bounded("eino-priority", priorityValue, client.minPriority(),
					client.maxPriority());
		}
		return new RequestOptions(timeout, priority, client.id(), client.rateLimit(), traceId());
	}

	private String traceId() {
		Span span = this.tracer.currentSpan();
		if (span != null && !span.context().traceId().isEmpty()) {
			return span.context().traceId();
		}
		return HexFormat.of()
			.formatHex(java.nio.ByteBuffer.allocate(16)
				.putLong(ThreadLocalRandom.current().nextLong())
				.putLong(ThreadLocalRandom.current().nextLong())
				.array());
	}

	private static HttpHeaders headers() {
		HttpHeaders headers = HEADERS.get();
		return (headers != null) ? headers : new HttpHeaders();
	}

}
