package io.eino.serving.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import io.eino.serving.batching.BatchingException;
import io.eino.serving.model.ModelFailureException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ModelUnavailableException;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.model.ServedModels;
import io.eino.serving.model.SubmittedTexts;
import io.eino.serving.plugin.TextPrediction;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.TraceContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.exceptions.TFResourceExhaustedException;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Scheduler;

/**
 * Runs validated texts on a model: preprocess operators, tokenization, the version's
 * batch queue, postprocess operators, and the model tier's degradation. Each try on a
 * version goes through that version's circuit breaker; a request that names no version
 * falls back, when the serving version fails or its breaker is open, to the highest older
 * loaded version whose breaker admits calls, else to the model's configured fallback
 * answer. Nothing here blocks. Thread safe.
 *
 * <p>
 * A request leases its version once, for its whole length (docs/architecture.md, "Request
 * path"): a version unloaded meanwhile drains it rather than answering 404. The runner
 * thread that completes a batch only completes its texts' futures; what follows (the
 * post-processing operators, plugins, rendering) runs on the {@code completions}
 * scheduler, so that the runner takes its next batch at once. A request's texts are
 * pre-processed, tokenized (all of them in one call) and admitted on that scheduler too,
 * not on the event loop that read the request.
 */
final class TextExecution {

	private static final Logger logger = LoggerFactory.getLogger(TextExecution.class);

	private final ModelRegistry registry;

	private final Duration defaultTimeout;

	private final ModelBreakers breakers;

	private final Map<String, ServedModels.Fallback> fallbacks;

	private final MeterRegistry meters;

	private final ServingMeters servingMeters;

	private final RequestSpans spans;

	private final Scheduler completions;

	/**
	 * @param completions where a request continues once its texts have run
	 */
	TextExecution(ModelRegistry registry, Duration defaultTimeout, ModelBreakers breakers,
			Map<String, ServedModels.Fallback> fallbacks, MeterRegistry meters, ServingMeters servingMeters,
			RequestSpans spans, Scheduler completions) {
		this.completions = completions;
		this.spans = spans;
		this.servingMeters = servingMeters;
		this.registry = registry;
		this.defaultTimeout = defaultTimeout;
		this.breakers = breakers;
		this.fallbacks = Map.copyOf(fallbacks);
		this.meters = meters;
	}

	/**
	 * Runs on the resolved version: a pinned one alone, the serving one with degradation
	 * to older versions (each leased for its attempt) and the fallback answer.
	 * @param startedNanos when the request arrived ({@link System#nanoTime()})
	 */
	Mono<TextResult> execute(ResolvedRequest request, List<String> texts, RequestOptions options, long startedNanos) {
		return Mono.defer(() -> {
			ServingVersion leased = request.serving();
			Mono<TextResult> result = attempt(leased, texts, options, startedNanos);
			if (request.pinned()) {
				return result.onErrorMap(CallNotPermittedException.class,
						(ex) -> new ModelUnavailableException("Version " + leased.version() + " of model '"
								+ leased.model() + "' is failing; its circuit breaker is open"));
			}
			return result.onErrorResume(TextExecution::degradable,
					(ex) -> degrade(leased.model(), leased.version(), texts, options, startedNanos, ex));
		});
	}

	private static boolean degradable(Throwable failure) {
		return failure instanceof ModelFailureException || failure instanceof CallNotPermittedException;
	}

	/**
	 * After {@code failed} failed: the highest older loaded version whose breaker admits
	 * calls, else the configured fallback answer, else the failure.
	 */
	private Mono<TextResult> degrade(String model, long failed, List<String> texts, RequestOptions options,
			long startedNanos, Throwable cause) {
		if (cause instanceof ModelFailureException failure) {
			this.meters.counter("eino.model.failures", "model", model, "rule", failure.rule().slug()).increment();
			logger.warn("Model '{}' version {} failed: {}", model, failed, failure.getMessage());
		}
		for (long older : this.registry.versionsBelow(model, failed)) {
			if (this.breakers.admits(model, older)) {
				// Released before the answer goes on, as the request's own resolution is.
				return Mono
					.using(() -> this.registry.lease(model, older),
							(leased) -> attempt(leased, texts, options, startedNanos), ServingVersion::release)
					.map((result) -> degraded(result, TextResult.PREVIOUS_VERSION))
					.onErrorResume(TextExecution::degradable, (ex) -> answer(model, failed, texts.size(), ex));
			}
		}
		return answer(model, failed, texts.size(), cause);
	}

	private Mono<TextResult> answer(String model, long failed, int texts, Throwable cause) {
		ServedModels.Fallback fallback = this.fallbacks.get(model);
		if (fallback != null) {
			TextPrediction prediction = new TextPrediction.Classification(fallback.label(), fallback.score(),
					Map.of(fallback.label(), fallback.score()));
			return Mono.just(degraded(new TextResult(model, failed, Collections.nCopies(texts, prediction), null),
					TextResult.FALLBACK_ANSWER));
		}
		if (cause instanceof CallNotPermittedException) {
			return Mono.error(new ModelUnavailableException("Model '" + model + "' version " + failed
					+ " is failing (its circuit breaker is open) and no other version can answer"));
		}
		return Mono.error(cause);
	}

	private TextResult degraded(TextResult result, String degradation) {
		this.meters.counter("eino.degraded", "model", result.model(), "kind", degradation).increment();
		return new TextResult(result.model(), result.version(), result.predictions(), degradation, result.queueNanos(),
				result.batchSize(), result.tokens());
	}

	/** One try on one version, through its circuit breaker. */
	private Mono<TextResult> attempt(ServingVersion leased, List<String> texts, RequestOptions options,
			long startedNanos) {
		return Mono.deferContextual((view) -> run(leased, texts, options, startedNanos, this.spans.current(view)))
			.subscribeOn(this.completions)
			.transformDeferred(CircuitBreakerOperator.of(this.breakers.of(leased.model(), leased.version())));
	}

	/**
	 * Tokenizes here, then hands one task per text to the version's batch queue and
	 * completes when all are done.
	 */
	private Mono<TextResult> run(ServingVersion leased, List<String> texts, RequestOptions options, long startedNanos,
			TraceContext trace) {
		String model = leased.model();
		long version = leased.version();
		SubmittedTexts submitted;
		try {
			Duration timeout = (options.timeout() != null) ? options.timeout() : this.defaultTimeout;
			long deadline = System.nanoTime() + timeout.toNanos();
			submitted = leased.submit(texts, deadline, options.priority(), options.client(), trace);
		}
		catch (RuntimeException ex) {
			return Mono.error(ex);
		}
		long admitted = System.nanoTime();
		this.servingMeters.preprocessed(model, version, startedNanos);
		this.spans.record(trace, "eino.preprocess", model, version, startedNanos, admitted);
		Runnable pending = this.servingMeters.pending(model, submitted);
		// Waits on each text's outcome, not on its result: a text cancelled because the
		// client went away settles normally, so nothing fails (or is dropped as an error)
		// after the subscriber is gone.
		return Mono.fromFuture(submitted.settled(), true).publishOn(this.completions).then(Mono.fromCallable(() -> {
			long resulted = System.nanoTime();
			TextResult result = textResult(leased, submitted);
			long answered = System.nanoTime();
			this.servingMeters.postprocessed(model, version, answered - resulted);
			this.spans.record(trace, "eino.queue", model, version, admitted, admitted + result.queueNanos());
			this.spans.record(trace, "eino.postprocess", model, version, resulted, answered);
			return result;
		}))
			.onErrorMap(CompletionException.class, (ex) -> (ex.getCause() != null) ? ex.getCause() : ex)
			.onErrorMap(TextExecution::runFailure,
					(ex) -> new ModelFailureException(ModelFailureException.EXECUTION,
							"Model '" + model + "' version " + version + " failed to run the batch: "
									+ InferenceService.firstLine(ex.getMessage()),
							ex))
			.doOnError((ex) -> submitted.cancel())
			.doFinally((signal) -> {
				pending.run();
				// A client that went away: its texts leave the queue. Cancelled only
				// after
				// the future's subscriber is gone, so the cancellation is no failure of
				// the
				// model (no breaker count, no fallback, no dropped error).
				if (signal == SignalType.CANCEL) {
					submitted.cancel();
				}
			});
	}

	/**
	 * Whether a failure of a batch run is the model's (tier "model"): anything but
	 * scheduling outcomes and the system's own failures (out of memory, native resources
	 * exhausted), which stay system-tier.
	 */
	private static boolean runFailure(Throwable failure) {
		return failure instanceof RuntimeException && !(failure instanceof BatchingException)
				&& !(failure instanceof ModelFailureException) && !(failure instanceof TFResourceExhaustedException);
	}

	private static TextResult textResult(ServingVersion version, SubmittedTexts submitted) {
		List<TextPrediction> predictions = new ArrayList<>(submitted.size());
		for (float[] row : submitted.rows()) {
			predictions.add(version.prediction(row));
		}
		return new TextResult(version.model(), version.version(), predictions, null, submitted.queueNanos(),
				submitted.batchSize(), submitted.tokens());
	}

}
