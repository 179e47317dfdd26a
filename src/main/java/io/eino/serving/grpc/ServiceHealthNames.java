package io.eino.serving.grpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;

import com.google.protobuf.InvalidProtocolBufferException;
import inference.GRPCInferenceServiceGrpc;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.PredictionServiceGrpc;

/**
 * Answers the standard health service's {@code Check} and {@code Watch} for each protocol
 * service this server serves, by its name, with the server's own health: the health
 * service knows only the server ({@code ""}), so clients and probes that ask for
 * {@code inference.GRPCInferenceService} or {@code tensorflow.serving.PredictionService},
 * as gRPC's health protocol has them do, were told NOT_FOUND.
 */
final class ServiceHealthNames implements ServerInterceptor {

	/** The services whose health is the server's. */
	static final Set<String> SERVED = Set.of(GRPCInferenceServiceGrpc.SERVICE_NAME, PredictionServiceGrpc.SERVICE_NAME,
			ModelServiceGrpc.SERVICE_NAME);

	@Override
	public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
			ServerCallHandler<Q, R> next) {
		ServerCall.Listener<Q> listener = next.startCall(call, headers);
		if (!HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
			return listener;
		}
		return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {

			@Override
			@SuppressWarnings("unchecked")
			public void onMessage(Q message) {
				super.onMessage((message instanceof InputStream stream) ? (Q) rewritten(stream) : message);
			}

		};
	}

	/**
	 * The request's bytes (services take raw streams, parsed within the call:
	 * {@link MessageParsing}), naming the server instead of a served service; bytes that
	 * are no request go on as they came, for the parsing to refuse.
	 */
	static InputStream rewritten(InputStream stream) {
		byte[] bytes;
		try {
			bytes = stream.readAllBytes();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		try {
			HealthCheckRequest request = HealthCheckRequest.parseFrom(bytes);
			if (SERVED.contains(request.getService())) {
				return new ByteArrayInputStream(request.toBuilder().setService("").build().toByteArray());
			}
		}
		catch (InvalidProtocolBufferException ex) {
			// Refused as malformed by the parsing, with its rule.
		}
		return new ByteArrayInputStream(bytes);
	}

}
