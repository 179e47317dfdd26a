package io.eino.serving.inference;

import java.util.Locale;
import java.util.function.Predicate;

import io.eino.serving.error.Failure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

/**
 * The {@code eino.requests} counter: every inference request once, by {@code model},
 * {@code outcome} ({@code ok}, {@code degraded}, {@code error}, {@code cancelled}: the
 * client went away first) and {@code tier} of an error ({@code none} otherwise). A model
 * that is not served is counted as {@code model=unknown}, so that names in URLs never
 * make new series. Thread safe.
 */
final class RequestOutcomes {

	private final MeterRegistry meters;

	private final Predicate<String> served;

	RequestOutcomes(MeterRegistry meters, Predicate<String> served) {
		this.meters = meters;
		this.served = served;
	}

	/** {@code request}, counted once when it ends, however it ends. */
	<T> Mono<T> count(String model, Mono<T> request, Predicate<T> degraded) {
		return request
			.doOnSuccess(
					(result) -> count(model, (result != null && degraded.test(result)) ? "degraded" : "ok", "none"))
			.doOnError((ex) -> count(model, "error", Failure.of(ex).tier().name().toLowerCase(Locale.ROOT)))
			.doOnCancel(() -> count(model, "cancelled", "none"));
	}

	/** A request refused before its pipeline started (at the door). */
	void failed(String model, Throwable failure) {
		count(model, "error", Failure.of(failure).tier().name().toLowerCase(Locale.ROOT));
	}

	private void count(String model, String outcome, String tier) {
		Counter.builder("eino.requests")
			.description("Inference requests by model, outcome and error tier")
			.tags("model", this.served.test(model) ? model : "unknown", "outcome", outcome, "tier", tier)
			.register(this.meters)
			.increment();
	}

}
