package io.eino.serving.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.eino.serving.EinoProperties;
import io.eino.serving.batching.BatchTask;
import io.eino.serving.batching.BatchingException;
import io.eino.serving.error.Failure;
import io.eino.serving.model.ModelFailureException;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ModelUnavailableException;
import io.eino.serving.model.ModelVersion;
import io.eino.serving.operator.Scores;
import io.eino.serving.plugin.PluginInput;
import io.eino.serving.plugin.PluginOutput;
import io.eino.serving.plugin.Plugins;
import io.eino.serving.plugin.RequestContext;
import io.eino.serving.ratelimit.ClientRateLimiters;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import io.eino.serving.validation.TextValidator;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFResourceExhaustedException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * One inference per request, as one Mono pipeline: validate → plugins before → rate limit
 * → preprocess and tokenize → admit to the version's batch queue → postprocess → plugins
 * after. Text requests are batched with other requests onto the version's runners; a
 * version that fails (error tier "model") is guarded by a circuit breaker and degrades to
 * the previous loaded version, else to the model's configured fallback answer. Raw-tensor
 * requests run as they are on a bounded pool of tensor threads. Session runs never happen
 * on the event loop, and nothing here blocks.
 */
public class InferenceService {

	private static final Logger logger = LoggerFactory.getLogger(InferenceService.class);

	private final ModelRegistry registry;

	private final Scheduler tensorRunners;

	private final Duration defaultTimeout;

	private final InputPolicies policies;

	private final Plugins plugins;

	private final ClientRateLimiters rateLimiters;

	private final ModelBreakers breakers;

	private final Map<String, EinoProperties.Fallback> fallbacks;

	private final MeterRegistry meters;

	/**
	 * @param tensorRunners where raw-tensor requests (not batched) run
	 * @param defaultTimeout a text request's deadline unless it names its own
	 * @param breakers Resilience4j's circuit breaker registry, holding the settings
	 * @param fallbacks each model's configured fallback answer, if it has one
	 */
	public InferenceService(ModelRegistry registry, Scheduler tensorRunners, Duration defaultTimeout,
			InputPolicies policies, Plugins plugins, ClientRateLimiters rateLimiters, CircuitBreakerRegistry breakers,
			Map<String, EinoProperties.Fallback> fallbacks, MeterRegistry meters) {
		this.registry = registry;
		this.tensorRunners = tensorRunners;
		this.defaultTimeout = defaultTimeout;
		this.policies = policies;
		this.plugins = plugins;
		this.rateLimiters = rateLimiters;
		this.breakers = new ModelBreakers(breakers);
		this.fallbacks = Map.copyOf(fallbacks);
		this.meters = meters;
	}

	/**
	 * Predicts for each text. Admission never blocks: a client over its rate limit or a
	 * full queue fails at once. Cancelling the returned Mono (the client went away) drops
	 * the texts that have not started.
	 * @param version a specific version (no fallback), or null for the serving one
	 */
	public Mono<TextResult> predictText(String model, Long version, List<String> texts, RequestOptions options) {
		return Mono.defer(() -> {
			RequestContext context = new RequestContext(model, version, options.client(), options.traceId());
			AtomicReference<List<String>> sent = new AtomicReference<>(List.of());
			TextValidator validator = this.policies.forModel(model);
			Mono<TextResult> pipeline = Mono.fromCallable(() -> validate(model, texts, validator)).flatMap((valid) -> {
				PluginInput input = new PluginInput(valid);
				return this.plugins.before(context, input).then(Mono.fromCallable(() -> {
					sent.set(input.texts());
					return input.texts();
				}));
			})
				.flatMap((prepared) -> this.rateLimiters.limit(model, options.client(), Mono.defer(
						() -> execute(model, version, prepared, options, validator.limits().maxUnknownTokenRatio()))));
			return pipeline
				.flatMap((result) -> this.plugins
					.after(context,
							outcome(context, sent.get(), result.version(),
									(result.degradation() != null) ? "degraded" : "ok", null, result.predictions()))
					.thenReturn(result))
				.onErrorResume((ex) -> {
					Failure failure = Failure.of(ex);
					return this.plugins
						.after(context,
								outcome(context, sent.get(), null, failure.rule(),
										failure.tier().name().toLowerCase(Locale.ROOT), List.of()))
						.then(Mono.error(ex));
				});
		});
	}

	private List<String> validate(String model, List<String> texts, TextValidator validator) {
		if (!this.registry.contains(model)) {
			throw new ModelNotFoundException("Model '" + model + "' is not served here");
		}
		if (texts.isEmpty()) {
			throw new InvalidInputException("empty-instances", "The request holds no text to predict");
		}
		return validator.validate(texts);
	}

	private static PluginOutput outcome(RequestContext context, List<String> texts, Long version, String outcome,
			String tier, List<TextPrediction> predictions) {
		return new PluginOutput(version, outcome, tier, System.nanoTime() - context.startedNanos(), texts, predictions);
	}

	/** Runs on the pinned version, or on the serving one with degradation. */
	private Mono<TextResult> execute(String model, Long version, List<String> texts, RequestOptions options,
			double maxUnknownTokenRatio) {
		if (version != null) {
			return attempt(model, version, texts, options, maxUnknownTokenRatio)
				.onErrorMap(CallNotPermittedException.class, (ex) -> new ModelUnavailableException(
						"Version " + version + " of model '" + model + "' is failing; its circuit breaker is open"));
		}
		long serving = this.registry.serving(model, null).version();
		return attempt(model, serving, texts, options, maxUnknownTokenRatio).onErrorResume(InferenceService::degradable,
				(ex) -> degrade(model, serving, texts, options, maxUnknownTokenRatio, ex));
	}

	private static boolean degradable(Throwable failure) {
		return failure instanceof ModelFailureException || failure instanceof CallNotPermittedException;
	}

	/**
	 * After {@code failed} failed: the highest older loaded version whose breaker admits
	 * calls, else the configured fallback answer, else the failure.
	 */
	private Mono<TextResult> degrade(String model, long failed, List<String> texts, RequestOptions options,
			double maxUnknownTokenRatio, Throwable cause) {
		if (cause instanceof ModelFailureException failure) {
			this.meters.counter("eino.model.failures", "model", model, "rule", failure.rule()).increment();
			logger.warn("Model '{}' version {} failed: {}", model, failed, failure.getMessage());
		}
		for (long older : this.registry.versionsBelow(model, failed)) {
			if (this.breakers.admits(model, older)) {
				return attempt(model, older, texts, options, maxUnknownTokenRatio)
					.map((result) -> degraded(result, TextResult.PREVIOUS_VERSION))
					.onErrorResume(InferenceService::degradable, (ex) -> answer(model, failed, texts.size(), ex));
			}
		}
		return answer(model, failed, texts.size(), cause);
	}

	private Mono<TextResult> answer(String model, long failed, int texts, Throwable cause) {
		EinoProperties.Fallback fallback = this.fallbacks.get(model);
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
		return new TextResult(result.model(), result.version(), result.predictions(), degradation);
	}

	/** One try on one version, through its circuit breaker. */
	private Mono<TextResult> attempt(String model, long version, List<String> texts, RequestOptions options,
			double maxUnknownTokenRatio) {
		return Mono.defer(() -> run(model, version, texts, options, maxUnknownTokenRatio))
			.transformDeferred(CircuitBreakerOperator.of(this.breakers.of(model, version)));
	}

	/**
	 * Tokenizes here, then hands one task per text to the version's batch queue and
	 * completes when all are done.
	 */
	private Mono<TextResult> run(String model, long version, List<String> texts, RequestOptions options,
			double maxUnknownTokenRatio) {
		ModelVersion leased = this.registry.lease(model, version);
		List<BatchTask<TokenSequence, float[]>> tasks;
		try {
			Duration timeout = (options.timeout() != null) ? options.timeout() : this.defaultTimeout;
			long deadline = System.nanoTime() + timeout.toNanos();
			List<String> prepared = texts.stream().map(leased.pipeline()::preprocess).toList();
			tasks = leased.tokenizer()
				.encodeEach(prepared, maxUnknownTokenRatio)
				.stream()
				.map((tokens) -> new BatchTask<TokenSequence, float[]>(tokens, tokens.length(), deadline,
						options.priority()))
				.toList();
			leased.queue().submit(tasks);
		}
		catch (RuntimeException ex) {
			leased.release();
			return Mono.error(ex);
		}
		CompletableFuture<?>[] results = tasks.stream().map(BatchTask::result).toArray(CompletableFuture[]::new);
		return Mono.fromFuture(CompletableFuture.allOf(results), true)
			.onErrorMap(CompletionException.class, (ex) -> (ex.getCause() != null) ? ex.getCause() : ex)
			.onErrorMap(InferenceService::runFailure,
					(ex) -> new ModelFailureException(ModelFailureException.EXECUTION,
							"Model '" + model + "' version " + version + " failed to run the batch: "
									+ firstLine(ex.getMessage()),
							ex))
			.then(Mono.fromCallable(() -> textResult(leased, tasks)))
			.doOnError((ex) -> tasks.forEach(BatchTask::cancel))
			.doOnCancel(() -> tasks.forEach(BatchTask::cancel))
			.doFinally((signal) -> leased.release());
	}

	/**
	 * Whether a failure of a batch run is the model's (tier "model"): anything but
	 * scheduling outcomes and the system's own failures (out of memory, native resources
	 * exhausted), which stay system-tier.
	 */
	private static boolean runFailure(Throwable failure) {
		return failure instanceof RuntimeException && !(failure instanceof BatchingException)
				&& !(failure instanceof TFResourceExhaustedException);
	}

	private static TextResult textResult(ModelVersion version, List<BatchTask<TokenSequence, float[]>> tasks) {
		List<TextPrediction> predictions = new ArrayList<>(tasks.size());
		for (BatchTask<TokenSequence, float[]> task : tasks) {
			predictions.add(toPrediction(version, task.result().join()));
		}
		return new TextResult(version.model(), version.version(), predictions, null);
	}

	/**
	 * Runs a signature on caller-supplied tensors.
	 * @param outputs the outputs wanted; empty for all of them
	 */
	public Mono<TensorResult> predictTensors(String model, Long version, String signatureKey,
			Map<String, HostTensor> inputs, List<String> outputs, RequestOptions options) {
		TextValidator validator = this.policies.forModel(model);
		for (HostTensor input : inputs.values()) {
			if (input.shape().length > 0) {
				validator.checkRows(input.shape()[0]);
			}
		}
		return this.rateLimiters.limit(model, options.client(), onRunner(model, version, (leased) -> {
			SignatureSpec signature = leased.signature(signatureKey);
			if (signature == null) {
				throw new InvalidInputException("unknown-signature", "Model '" + model + "' has no signature '"
						+ signatureKey + "' (has " + leased.runner().signatures().keySet() + ")");
			}
			checkInputs(signature, inputs);
			List<String> wanted = outputs.isEmpty() ? signature.outputs().stream().map(TensorSpec::name).toList()
					: outputs;
			for (String output : wanted) {
				if (!signature.hasOutput(output)) {
					throw new InvalidInputException("unknown-output",
							"Signature '" + signatureKey + "' has no output '" + output + "'");
				}
			}
			return new TensorResult(model, leased.version(), run(leased, signatureKey, inputs, wanted));
		}));
	}

	private <T> Mono<T> onRunner(String model, Long version, Function<ModelVersion, T> work) {
		return Mono.fromCallable(() -> {
			ModelVersion leased = this.registry.lease(model, version);
			try {
				return work.apply(leased);
			}
			finally {
				leased.release();
			}
		}).subscribeOn(this.tensorRunners);
	}

	private static Map<String, HostTensor> run(ModelVersion version, String signature, Map<String, HostTensor> inputs,
			List<String> outputs) {
		try {
			return version.runner().run(signature, inputs, outputs);
		}
		catch (TFInvalidArgumentException ex) {
			throw new InvalidInputException("invalid-tensor", InvalidInputException.Kind.UNPROCESSABLE,
					"The model rejected the input tensors: " + firstLine(ex.getMessage()));
		}
	}

	private static void checkInputs(SignatureSpec signature, Map<String, HostTensor> inputs) {
		for (TensorSpec spec : signature.inputs()) {
			HostTensor value = inputs.get(spec.name());
			if (value == null) {
				throw new InvalidInputException("missing-input",
						"Signature '" + signature.key() + "' needs input '" + spec.name() + "'");
			}
			if (!value.datatype().equals(spec.datatype())) {
				throw new InvalidInputException("input-datatype",
						"Input '" + spec.name() + "' must be " + spec.datatype() + ", got " + value.datatype());
			}
			if (spec.shape().length != value.shape().length) {
				throw new InvalidInputException("input-shape", "Input '" + spec.name() + "' must have rank "
						+ spec.shape().length + ", got " + value.shape().length);
			}
			if (value.size() == 0) {
				throw new InvalidInputException("input-shape", "Input '" + spec.name() + "' is empty");
			}
		}
		for (String name : inputs.keySet()) {
			if (!signature.hasInput(name)) {
				throw new InvalidInputException("unknown-input",
						"Signature '" + signature.key() + "' has no input '" + name + "'");
			}
		}
	}

	/**
	 * A row of the model's output through its post-processing operators.
	 * @throws ModelFailureException if a value is NaN or infinite
	 */
	private static TextPrediction toPrediction(ModelVersion version, float[] row) {
		ModelDescriptor descriptor = version.descriptor();
		boolean classification = descriptor.task() == ModelDescriptor.Task.CLASSIFICATION;
		Scores scores = version.pipeline()
			.postprocess(new Scores(row, classification ? descriptor.labels() : List.of()));
		for (float value : scores.values()) {
			if (!Float.isFinite(value)) {
				throw new ModelFailureException(ModelFailureException.OUTPUT, "Model '" + version.model() + "' version "
						+ version.version() + " answered with a value that is not finite (" + value + ")", null);
			}
		}
		if (!classification) {
			return new TextPrediction.Embedding(scores.values());
		}
		Map<String, Double> byLabel = new LinkedHashMap<>();
		for (int i = 0; i < scores.values().length; i++) {
			String label = scores.labels().isEmpty() ? Integer.toString(i) : scores.labels().get(i);
			byLabel.put(label, (double) scores.values()[i]);
		}
		int best = scores.best();
		String label = scores.labels().isEmpty() ? Integer.toString(best) : scores.labels().get(best);
		return new TextPrediction.Classification(label, scores.values()[best], byLabel);
	}

	private static String firstLine(String message) {
		if (message == null) {
			return "";
		}
		int newline = message.indexOf('\n');
		return (newline < 0) ? message : message.substring(0, newline);
	}

}
