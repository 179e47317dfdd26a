package io.eino.serving.grpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * Calls a gRPC method with bytes that need not be a message of its type: what a broken or
 * hostile client sends.
 */
public final class RawCalls {

	private RawCalls() {
	}

	/** Sends {@code bytes} as the method's one request and half-closes; its status. */
	public static Status call(Channel channel, MethodDescriptor<?, ?> method, byte[] bytes) throws Exception {
		MethodDescriptor<byte[], byte[]> raw = method.toBuilder(new Bytes(), new Bytes()).build();
		ClientCall<byte[], byte[]> call = channel.newCall(raw,
				CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
		CompletableFuture<Status> closed = new CompletableFuture<>();
		call.start(new ClientCall.Listener<>() {

			@Override
			public void onClose(Status status, Metadata trailers) {
				closed.complete(status);
			}

		}, new Metadata());
		call.request(1);
		call.sendMessage(bytes);
		call.halfClose();
		return closed.get(20, TimeUnit.SECONDS);
	}

	private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {

		@Override
		public InputStream stream(byte[] value) {
			return new ByteArrayInputStream(value);
		}

		@Override
		public byte[] parse(InputStream stream) {
			try {
				return stream.readAllBytes();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

	}

}
