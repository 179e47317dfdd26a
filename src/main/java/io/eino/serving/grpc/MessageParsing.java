package io.eino.serving.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.eino.serving.error.Rule;
import io.eino.serving.validation.InvalidInputException;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;

/**
 * Parses every request message inside the call, so that bytes that are not a protobuf
 * message of the method's type are refused like any other bad input: INVALID_ARGUMENT
 * with the rule {@code malformed-request}, counted, no stack trace. grpc-java parses a
 * message before any interceptor sees it and answers a failure there as an application
 * error (UNKNOWN, "Application error processing RPC", logged with its stack trace); here
 * the service takes the raw stream ({@link ServerInterceptors#useInputStreamMessages})
 * and the original parser runs within the call, where this guard catches its failure.
 */
final class MessageParsing implements ServerInterceptor {

	private final GrpcFailures failures;

	private MessageParsing(GrpcFailures failures) {
		this.failures = failures;
	}

	/** {@code service}, its messages parsed within each call under the guard. */
	static ServerServiceDefinition guarded(ServerServiceDefinition service, GrpcFailures failures) {
		return ServerInterceptors.intercept(ServerInterceptors.useInputStreamMessages(service),
				new MessageParsing(failures));
	}

	@Override
	public <I, O> ServerCall.Listener<I> interceptCall(ServerCall<I, O> call, Metadata headers,
			ServerCallHandler<I, O> next) {
		return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {

			/** Once refused, the call's later events never reach the service. */
			private boolean refused;

			@Override
			public void onMessage(I message) {
				if (this.refused) {
					return;
				}
				try {
					super.onMessage(message);
				}
				catch (RuntimeException ex) {
					if (!malformed(ex)) {
						throw ex;
					}
					this.refused = true;
					String method = call.getMethodDescriptor().getFullMethodName();
					StatusRuntimeException status = MessageParsing.this.failures.toStatus(
							new InvalidInputException(Rule.MALFORMED_REQUEST,
									"The request is not a valid " + method + " message: " + ex.getCause().getMessage()),
							method);
					try {
						call.close(status.getStatus(),
								(status.getTrailers() != null) ? status.getTrailers() : new Metadata());
					}
					catch (IllegalStateException closed) {
						// A streaming call the service had closed already: nothing to
						// answer.
					}
				}
			}

			@Override
			public void onHalfClose() {
				if (!this.refused) {
					super.onHalfClose();
				}
			}

			@Override
			public void onReady() {
				if (!this.refused) {
					super.onReady();
				}
			}

		};
	}

	/** Whether {@code failure} is the protobuf parser's refusal of the bytes. */
	private static boolean malformed(RuntimeException failure) {
		return failure instanceof StatusRuntimeException
				&& failure.getCause() instanceof InvalidProtocolBufferException;
	}

}
