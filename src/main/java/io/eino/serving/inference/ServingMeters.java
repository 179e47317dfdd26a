package io.eino.serving.inference;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

import io.eino.serving.error.Failure;
import io.eino.serving.model.SubmittedTexts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;

/**
 * The request-level golden signals (docs/operations.md, "Metrics"): every inference
 * request once in {@code eino.requests} and {@code eino.request.duration}, by
 * {@code model}, {@code version} ({@code none} when it never reached one),
 * {@code outcome} ({@code ok}, {@code degraded}, {@code error}, {@code cancelled}: the
 * client went away first) and, for the counter, the {@code tier} of an error
 * ({@code none} otherwise); the split of a text request's time into
 * {@code eino.preprocess.duration} (from the request to its admission to the queue:
 * validation, plugins, quota, tokenization) and {@code eino.postprocess.duration} (from
 * its last result to its answer: output operators and checks); and per model the gauges
 * {@code eino.inflight.requests} and {@code eino.pending.requests} (admitted to a queue,
 * not all texts running yet: what an autoscaler reads). A model that is not served is
 * counted as {@code model=unknown}, so that names in URLs never make new series; no
 * client or text is ever a tag. Thread safe.
 */
final class ServingMeters {

	static final String NO_VERSION = "none";

	private final MeterRegistry meters;

	private final Predicate<String> served;

	private final Map<String, AtomicInteger> inflight = new ConcurrentHashMap<>();

	private final Map<String, AtomicInteger> pending = new ConcurrentHashMap<>();

	ServingMeters(MeterRegistry meters, Predicate<String> served) {
		this.meters = meters;
		this.served = served;
	}

	/**
	 * {@code request}, counted and timed once when it ends, however it ends, and in
	 * flight meanwhile.
	 * @param version the version that answered a result
	 */
	<T> Mono<T> measure(String model, Mono<T> request, Function<T, Long> version, Predicate<T> degraded) {
		return Mono.defer(() -> {
			String tagged = tagged(model);
			AtomicInteger inflight = gauge(this.inflight, tagged, "eino.inflight.requests",
					"Inference requests being served, from arrival to answer");
			long started = System.nanoTime();
			inflight.incrementAndGet();
			return request.doOnSuccess((result) -> {
				String answered = (result != null) ? Long.toString(version.apply(result)) : NO_VERSION;
				end(tagged, answered, (result != null && degraded.test(result)) ? "degraded" : "ok", "none", started);
			})
				.doOnError((ex) -> end(tagged, NO_VERSION, "error", tier(ex), started))
				.doOnCancel(() -> end(tagged, NO_VERSION, "cancelled", "none", started))
				.doFinally((signal) -> inflight.decrementAndGet());
		});
	}

	/** A request refused before its pipeline started (at the door). */
	void refused(String model, Throwable failure) {
		count(tagged(model), NO_VERSION, "error", tier(failure));
	}

	/** From the request's arrival to the admission of its texts to the queue. */
	void preprocessed(String model, long version, long startedNanos) {
		timer("eino.preprocess.duration", "From a request's arrival to its admission to the queue", model, version)
			.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
	}

	/** From the request's last result to its answer. */
	void postprocessed(String model, long version, long nanos) {
		timer("eino.postprocess.duration", "From a request's last result to its answer (output operators)", model,
				version)
			.record(nanos, TimeUnit.NANOSECONDS);
	}

	/**
	 * Counts a request as pending from now until all its texts have started running or
	 * the returned handle is closed, whichever comes first.
	 */
	Runnable pending(String model, SubmittedTexts texts) {
		AtomicInteger gauge = gauge(this.pending, tagged(model), "eino.pending.requests",
				"Inference requests admitted to a queue whose texts have not all started running");
		gauge.incrementAndGet();
		AtomicBoolean ended = new AtomicBoolean();
		Runnable end = () -> {
			if (ended.compareAndSet(false, true)) {
				gauge.decrementAndGet();
			}
		};
		texts.whenAllStarted(end);
		return end;
	}

	/** Removes the meters of a retired version. */
	void forget(String model, long version) {
		String tag = Long.toString(version);
		for (String name : List.of("eino.requests", "eino.request.duration", "eino.preprocess.duration",
				"eino.postprocess.duration")) {
			this.meters.find(name).tags("model", model, "version", tag).meters().forEach(this.meters::remove);
		}
	}

	private void end(String model, String version, String outcome, String tier, long startedNanos) {
		count(model, version, outcome, tier);
		Timer.builder("eino.request.duration")
			.description("Inference requests from arrival to answer")
			.tags("model", model, "version", version, "outcome", outcome)
			.register(this.meters)
			.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
	}

	private void count(String model, String version, String outcome, String tier) {
		Counter.builder("eino.requests")
			.description("Inference requests by model, version, outcome and error tier")
			.tags("model", model, "version", version, "outcome", outcome, "tier", tier)
			.register(this.meters)
			.increment();
	}

	private Timer timer(String name, String description, String model, long version) {
		return Timer.builder(name)
			.description(description)
			.tags("model", tagged(model), "version", Long.toString(version))
			.register(this.meters);
	}

	private AtomicInteger gauge(Map<String, AtomicInteger> gauges, String model, String name, String description) {
		return gauges.computeIfAbsent(model, (key) -> {
			AtomicInteger value = new AtomicInteger();
			Gauge.builder(name, value, AtomicInteger::get)
				.description(description)
				.tag("model", key)
				.register(this.meters);
			return value;
		});
	}

	private String tagged(String model) {
		return this.served.test(model) ? model : "unknown";
	}

	private static String tier(Throwable failure) {
		return Failure.of(failure).tier().name().toLowerCase(Locale.ROOT);
	}

}
