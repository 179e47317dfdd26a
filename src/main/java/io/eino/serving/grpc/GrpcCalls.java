package io.eino.serving.grpc;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Runs a unary gRPC method as the same {@link Mono} pipeline the HTTP API runs: nothing
 * blocks the gRPC thread, a failure becomes its status ({@link GrpcFailures}), and a call
 * the client cancels (or whose deadline passes) disposes the pipeline, so that its texts
 * that have not started are dropped, as for an HTTP client that goes away.
 */
final class GrpcCalls {

	private static final ContextSnapshotFactory SNAPSHOTS = ContextSnapshotFactory.builder().build();

	private final GrpcFailures failures;

	GrpcCalls(GrpcFailures failures) {
		this.failures = failures;
	}

	/**
	 * Answers {@code observer} with what {@code work} produces; {@code work} runs on the
	 * calling thread, in the call's gRPC context, until its first asynchronous step.
	 */
	<T> void unary(String method, StreamObserver<T> observer, Supplier<Mono<T>> work) {
		ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) observer;
		AtomicReference<Disposable> running = new AtomicReference<>();
		call.setOnCancelHandler(() -> {
			Disposable subscription = running.get();
			if (subscription != null) {
				subscription.dispose();
			}
		});
		// The call's trace is in this thread's locals (the gRPC server observation's
		// scope); it travels with the pipeline in its Reactor context, where the
		// service reads it (context propagation is limited to where it is asked for).
		ContextSnapshot trace = SNAPSHOTS.captureAll();
		running.set(Mono.defer(work).contextWrite(trace::updateContext).subscribe((value) -> {
			if (!call.isCancelled()) {
				call.onNext(value);
				call.onCompleted();
			}
		}, (error) -> {
			if (!call.isCancelled()) {
				call.onError(this.failures.toStatus(error, method));
			}
		}));
		if (call.isCancelled()) {
			running.get().dispose();
		}
	}

}
