package io.eino.serving.inference;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

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
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import io.eino.serving.validation.TextValidator;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Tracer;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

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

	private final ModelRegistry registry;

	private final Scheduler tensorRunners;

	private final InputPolicies policies;

	private final Plugins plugins;

	private final ClientRateLimiters rateLimiters;

	private final TextExecution execution;

	private final ServingMeters servingMeters;

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
		this.tensorRunners = tensorRunners;
		this.policies = policies;
		this.plugins = plugins;
		this.rateLimiters = rateLimiters;
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
		return this.servingMeters.measure(model, tensorPipeline(model, version, signatureKey, inputs, outputs, options),
				TensorResult::version, (result) -> false);
	}

	private Mono<TensorResult> tensorPipeline(String model, Long version, String signatureKey,
			Map<String, HostTensor> inputs, List<String> outputs, RequestOptions options) {
		return this.rateLimiters.limit(model, options.client(), options.quota(), onRunner(model, version, (leased) -> {
			SignatureSpec signature = leased.signature(signatureKey);
			if (signature == null) {
				throw new InvalidInputException(Rule.UNKNOWN_SIGNATURE,
						"Model '" + model + "' has no signature '" + signatureKey + "' (has "
								+ leased.signatures().stream().map(SignatureSpec::key).toList() + ")");
			}
			checkInputs(signature, inputs);
			List<String> wanted = outputs.isEmpty() ? signature.outputs().stream().map(TensorSpec::name).toList()
					: outputs;
			for (String output : wanted) {
				if (!signature.hasOutput(output)) {
					throw new InvalidInputException(Rule.UNKNOWN_OUTPUT,
							"Signature '" + signatureKey + "' has no output '" + output + "'");
				}
			}
			return new TensorResult(model, leased.version(), run(leased, signatureKey, inputs, wanted));
		}));
	}

	private <T> Mono<T> onRunner(String model, Long version, Function<ServingVersion, T> work) {
		return Mono.fromCallable(() -> {
			ServingVersion leased = this.registry.lease(model, version);
			try {
				return work.apply(leased);
			}
			finally {
				leased.release();
			}
		}).subscribeOn(this.tensorRunners);
	}

	private static Map<String, HostTensor> run(ServingVersion version, String signature, Map<String, HostTensor> inputs,
			List<String> outputs) {
		try {
			return version.run(signature, inputs, outputs);
		}
		catch (TFInvalidArgumentException ex) {
			throw new InvalidInputException(Rule.INVALID_TENSOR,
					"The model rejected the input tensors: " + firstLine(ex.getMessage()));
		}
	}

	private static void checkInputs(SignatureSpec signature, Map<String, HostTensor> inputs) {
		for (TensorSpec spec : signature.inputs()) {
			HostTensor value = inputs.get(spec.name());
			if (value == null) {
				throw new InvalidInputException(Rule.MISSING_INPUT,
						"Signature '" + signature.key() + "' needs input '" + spec.name() + "'");
			}
			if (!value.datatype().equals(spec.datatype())) {
				throw new InvalidInputException(Rule.INPUT_DATATYPE,
						"Input '" + spec.name() + "' must be " + spec.datatype() + ", got " + value.datatype());
			}
			if (!fits(spec.shape(), value.shape())) {
				throw new InvalidInputException(Rule.INPUT_SHAPE,
						"Input '" + spec.name() + "' must have shape " + java.util.Arrays.toString(spec.shape())
								+ " (-1: any size), got " + java.util.Arrays.toString(value.shape()));
			}
			if (value.size() == 0) {
				throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + spec.name() + "' is empty");
			}
		}
		for (String name : inputs.keySet()) {
			if (!signature.hasInput(name)) {
				throw new InvalidInputException(Rule.UNKNOWN_INPUT,
						"Signature '" + signature.key() + "' has no input '" + name + "'");
			}
		}
	}

	/** Same rank, and every dimension the signature fixes has that size. */
	private static boolean fits(long[] expected, long[] actual) {
		if (expected.length != actual.length) {
			return false;
		}
		for (int i = 0; i < expected.length; i++) {
			if (expected[i] >= 0 && expected[i] != actual[i]) {
				return false;
			}
		}
		return true;
	}

	static String firstLine(String message) {
		if (message == null) {
			return "";
		}
		int newline = message.indexOf('\n');
		return (newline < 0) ? message : message.substring(0, newline);
	}

}
