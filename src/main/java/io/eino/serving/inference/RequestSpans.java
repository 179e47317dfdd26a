package io.eino.serving.inference;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.runtime.BatchObserver;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import reactor.util.context.ContextView;

/**
 * The spans of a text request beyond the HTTP one (docs/operations.md, "Traces"):
 * {@code eino.preprocess} (validation, plugins, quota, tokenization, up to admission),
 * {@code eino.queue} (admission to the start of its last text) and
 * {@code eino.postprocess} (last result to answer), children of the request's span; and
 * one {@code eino.batch} span per session run, the root of its own trace, linked to the
 * span of every request whose texts it ran. Spans are recorded after the fact with their
 * measured start and end, and only for sampled requests, so that an unsampled request
 * costs a check. Thread safe.
 */
final class RequestSpans implements BatchObserver {

	private static final ContextSnapshotFactory SNAPSHOTS = ContextSnapshotFactory.builder().build();

	private final Tracer tracer;

	RequestSpans(Tracer tracer) {
		this.tracer = tracer;
	}

	/**
	 * The trace context of the request whose Reactor context is {@code view}, or null.
	 * The service propagates context only where it asks for it
	 * ({@code spring.reactor.context-propagation: limited}): restoring the thread locals
	 * at every operator of every request cost about 8 % of the throughput at 64 clients,
	 * so the request's observation is put in scope here, once.
	 */
	TraceContext current(ContextView view) {
		try (ContextSnapshot.Scope scope = SNAPSHOTS.setThreadLocalsFrom(view)) {
			Span span = this.tracer.currentSpan();
			return (span != null) ? span.context() : null;
		}
	}

	/**
	 * Records a finished child span of {@code parent} between two
	 * {@link System#nanoTime()} readings.
	 */
	void record(TraceContext parent, String name, String model, long version, long startNanos, long endNanos) {
		if (!sampled(parent)) {
			return;
		}
		Span span = this.tracer.spanBuilder()
			.setParent(parent)
			.name(name)
			.tag("model", model)
			.tag("version", Long.toString(version))
			.startTimestamp(epochMicros(startNanos), TimeUnit.MICROSECONDS)
			.start();
		span.end(epochMicros(endNanos), TimeUnit.MICROSECONDS);
	}

	@Override
	public void ran(String model, long version, List<? extends BatchTask<?, ?>> tasks, long startNanos, long endNanos,
			Throwable failure) {
		Span.Builder builder = null;
		for (BatchTask<?, ?> task : tasks) {
			if (task.attachment() instanceof TraceContext request && sampled(request)) {
				if (builder == null) {
					builder = this.tracer.spanBuilder().setNoParent().name("eino.batch");
				}
				builder.addLink(new Link(request));
			}
		}
		if (builder == null) {
			return;
		}
		Span span = builder.tag("model", model)
			.tag("version", Long.toString(version))
			.tag("batch.size", tasks.size())
			.startTimestamp(epochMicros(startNanos), TimeUnit.MICROSECONDS)
			.start();
		if (failure != null) {
			span.error(failure);
		}
		span.end(epochMicros(endNanos), TimeUnit.MICROSECONDS);
	}

	private static boolean sampled(TraceContext context) {
		return context != null && Boolean.TRUE.equals(context.sampled());
	}

	/** A {@link System#nanoTime()} reading as microseconds since the epoch. */
	private static long epochMicros(long nanoTime) {
		long nowMicros = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
		return nowMicros - (System.nanoTime() - nanoTime) / 1000;
	}

}
