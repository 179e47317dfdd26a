package io.eino.serving.inference;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import io.eino.serving.error.Failure;
import io.eino.serving.error.Rule;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.model.ServedModels;
import io.eino.serving.plugin.PluginInput;
import io.eino.serving.plugin.PluginOutput;
import io.eino.serving.plugin.Plugins;
import io.eino.serving.plugin.RequestContext;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.ratelimit.ClientRateLimiters;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import io.eino.serving.validation.TextValidator;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Tracer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * One inference per request, as one Mono pipeline: validate → plugins before → rate limit
 * → preprocess and tokenize → admit to the version's batch queue → postprocess → plugins
 * after. Text requests are batched with other requests onto the version's runners; a
 * version that fails (error tier "model") is guarded by a circuit breaker and degrades to
 * the previous loaded version, else to the model's configured fallback answer. Raw-tensor
 * requests are batched by row where their signature allows (a model without a text
 * pipeline), else run as they are on a bounded pool of tensor threads. Session runs never
 * happen on the event loop, and nothing here blocks.
 */
public class InferenceService {

	private final ModelRegistry registry;

	private final InputPolicies policies;

	private final Plugins plugins;

	private final ClientRateLimiters rateLimiters;

	private final TextExecution execution;

	private final ServingMeters servingMeters;

	private final TensorExecution tensors;

	/**
	 * @param tensorRunners where raw-tensor requests (not batched) run
	 * @param defaultTimeout a text request's deadline unless it names its own
	 * @param breakers Resilience4j's circuit breaker registry, holding the settings
	 * @param fallbacks each model's configured fallback answer, if it has one
	 * @param tracer records the spans of text requests ({@link Tracer#NOOP}: none)
	 */
	public InferenceService(ModelRegistry registry, Scheduler tensorRunners, Duration defaultTimeout,
			InputPolicies policies, Plugins plugins, ClientRateLimiters rateLimiters, CircuitBreakerRegistry breakers,
			Map<String, ServedModels.Fallback> fallbacks, MeterRegistry meters, Tracer tracer) {
		this.registry = registry;
		this.policies = policies;
		this.plugins = plugins;
		this.rateLimiters = rateLimiters;
		this.tensors = new TensorExecution(registry, tensorRunners, defaultTimeout);
		ModelBreakers modelBreakers = new ModelBreakers(breakers);
		registry.onRetired(modelBreakers::forget);
		this.servingMeters = new ServingMeters(meters, registry::contains);
		registry.onRetired(this.servingMeters::forget);
		this.execution = new TextExecution(registry, defaultTimeout, modelBreakers, fallbacks, meters,
				this.servingMeters, new RequestSpans(tracer), Schedulers.parallel());
	}

	/**
	 * Predicts for each text. Admission never blocks: a client over its rate limit or a
	 * full queue fails at once. Cancelling the returned Mono (the client went away) drops
	 * the texts that have not started; it is counted as cancelled, not as an error.
	 * @param version a specific version (no fallback), or null for the serving one
	 */
	public Mono<TextResult> predictText(String model, Long version, List<String> texts, RequestOptions options) {
		return this.servingMeters.measure(model, textPipeline(model, version, texts, options), TextResult::version,
				(result) -> result.degradation() != null);
	}

	private Mono<TextResult> textPipeline(String model, Long version, List<String> texts, RequestOptions options) {
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
				.flatMap((prepared) -> this.rateLimiters.limit(model, options.client(), options.quota(), Mono
					.defer(() -> this.execution.execute(model, version, prepared, options, context.startedNanos()))));
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
								outcome(context, sent.get(), null, failure.rule().slug(),
										failure.tier().name().toLowerCase(Locale.ROOT), List.of()))
						.then(Mono.error(ex));
				});
		});
	}

	/**
	 * Admission at the door, before a request is read: refuses at once when the model's
	 * queue would refuse even the smallest request of this client, so that a flood costs
	 * as little as possible. Does nothing for a model that does not serve (the request
	 * itself will say why).
	 * @param version a specific version, or null for the serving one
	 * @throws io.eino.serving.batching.BatchingException.Overloaded to refuse
	 */
	public void checkDoor(String model, Long version, String client) {
		if (!this.registry.isReady(model)) {
			return;
		}
		ServingVersion leased;
		try {
			leased = this.registry.lease(model, version);
		}
		catch (RuntimeException ex) {
			return;
		}
		try {
			leased.checkDoor(client);
		}
		catch (RuntimeException ex) {
			this.servingMeters.refused(model, ex);
			throw ex;
		}
		finally {
			leased.release();
		}
	}

	private List<String> validate(String model, List<String> texts, TextValidator validator) {
		if (!this.registry.contains(model)) {
			throw new ModelNotFoundException("Model '" + model + "' is not served here");
		}
		if (texts.isEmpty()) {
			throw new InvalidInputException(Rule.EMPTY_INSTANCES, "The request holds no text to predict");
		}
		return validator.validate(texts);
	}

	private static PluginOutput outcome(RequestContext context, List<String> texts, Long version, String outcome,
			String tier, List<TextPrediction> predictions) {
		return new PluginOutput(version, outcome, tier, System.nanoTime() - context.startedNanos(), texts, predictions);
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
		return this.servingMeters.measure(model,
				this.rateLimiters.limit(model, options.client(), options.quota(),
						this.tensors.execute(model, version, signatureKey, inputs, outputs, options)),
				TensorResult::version, (result) -> false);
	}

	static String firstLine(String message) {
		if (message == null) {
			return "";
		}
		int newline = message.indexOf('\n');
		return (newline < 0) ? message : message.substring(0, newline);
	}

}
