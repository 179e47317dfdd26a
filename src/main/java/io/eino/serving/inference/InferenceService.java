package io.eino.serving.inference;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.eino.serving.error.Failure;
import io.eino.serving.error.Rule;
import io.eino.serving.model.ModelRegistry;
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
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * One inference per request, as one Mono pipeline: validate → plugins before → rate limit
 * → preprocess and tokenize → admit to the version's batch queue → postprocess → plugins
 * after. Text requests are batched with other requests onto the version's runners; a
 * version that fails (error tier "model") is guarded by a circuit breaker and degrades to
 * the previous loaded version, else to the model's configured fallback answer. Raw-tensor
 * requests are batched by row where their signature allows (a model without a text
 * pipeline), else run as they are on one of the version's runners. Session runs never
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
	 * @param defaultTimeout a text request's deadline unless it names its own
	 * @param breakers Resilience4j's circuit breaker registry, holding the settings
	 * @param fallbacks each model's configured fallback answer, if it has one
	 * @param tracer records the spans of text requests ({@link Tracer#NOOP}: none)
	 */
	public InferenceService(ModelRegistry registry, Duration defaultTimeout, InputPolicies policies, Plugins plugins,
			ClientRateLimiters rateLimiters, CircuitBreakerRegistry breakers,
			Map<String, ServedModels.Fallback> fallbacks, MeterRegistry meters, Tracer tracer) {
		this.registry = registry;
		this.policies = policies;
		this.plugins = plugins;
		this.rateLimiters = rateLimiters;
		this.tensors = new TensorExecution(defaultTimeout, Schedulers.parallel());
		ModelBreakers modelBreakers = new ModelBreakers(breakers);
		registry.onRetired(modelBreakers::forget);
		this.servingMeters = new ServingMeters(meters, registry::contains);
		registry.onRetired(this.servingMeters::forget);
		this.execution = new TextExecution(registry, defaultTimeout, modelBreakers, fallbacks, meters,
				this.servingMeters, new RequestSpans(tracer), Schedulers.parallel());
	}

	/**
	 * Resolves a request: leases its version from the registry, the one time a request
	 * asks the registry. The caller runs the request on it and lets go of it when done;
	 * {@link #resolved} does both.
	 * @param version a specific version (no fallback), or null for the serving one
	 * @throws io.eino.serving.model.ModelNotFoundException if the model or the version is
	 * not served
	 * @throws io.eino.serving.model.ModelUnavailableException if no version serves yet
	 */
	public ResolvedRequest resolve(String model, @Nullable Long version) {
		return new ResolvedRequest(this.registry.lease(model, version), version != null);
	}

	/**
	 * Runs {@code request} on the request's resolution, which is let go of when the
	 * returned Mono ends, fails or is cancelled.
	 * @param version a specific version (no fallback), or null for the serving one
	 */
	public <T> Mono<T> resolved(String model, @Nullable Long version, Function<ResolvedRequest, Mono<T>> request) {
		return Mono.using(() -> resolve(model, version), request, ResolvedRequest::release);
	}

	/**
	 * Predicts for each text. Admission never blocks: a client over its rate limit or a
	 * full queue fails at once. Cancelling the returned Mono (the client went away) drops
	 * the texts that have not started; it is counted as cancelled, not as an error.
	 */
	public Mono<TextResult> predictText(ResolvedRequest request, List<String> texts, RequestOptions options) {
		return this.servingMeters.measure(request.model(), textPipeline(request, texts, options), TextResult::version,
				(result) -> result.degradation() != null);
	}

	private Mono<TextResult> textPipeline(ResolvedRequest request, List<String> texts, RequestOptions options) {
		return Mono.defer(() -> {
			String model = request.model();
			RequestContext context = new RequestContext(model, request.pinned() ? request.version() : null,
					options.client(), options.traceId());
			AtomicReference<List<String>> sent = new AtomicReference<>(List.of());
			TextValidator validator = this.policies.forModel(model);
			Mono<TextResult> pipeline = Mono.fromCallable(() -> validate(texts, validator)).flatMap((valid) -> {
				PluginInput input = new PluginInput(valid);
				return this.plugins.before(context, input).then(Mono.fromCallable(() -> {
					sent.set(input.texts());
					return input.texts();
				}));
			})
				.flatMap((prepared) -> this.rateLimiters.limit(model, options.client(), options.quota(),
						Mono.defer(() -> this.execution.execute(request, prepared, options, context.startedNanos()))));
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
	 * as little as possible.
	 * @throws io.eino.serving.batching.BatchingException.Overloaded to refuse
	 */
	public void checkDoor(ResolvedRequest request, String client) {
		try {
			request.serving().checkDoor(client);
		}
		catch (RuntimeException ex) {
			this.servingMeters.refused(request.model(), ex);
			throw ex;
		}
	}

	private List<String> validate(List<String> texts, TextValidator validator) {
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
	 * The signature's input {@code name}, for a protocol that reads an input's values by
	 * its datatype.
	 * @throws io.eino.serving.validation.InvalidInputException ({@code unknown-input})
	 * when the signature has no such input
	 */
	public static TensorSpec inputSpec(SignatureSpec signature, String name) {
		return signature.inputs()
			.stream()
			.filter((input) -> input.name().equals(name))
			.findFirst()
			.orElseThrow(() -> new InvalidInputException(Rule.UNKNOWN_INPUT,
					"Signature '" + signature.key() + "' has no input '" + name + "'"));
	}

	/**
	 * Checks a tensor input by what its request declares before its values are read (the
	 * Open Inference Protocol's name and datatype), with the rules
	 * {@link #predictTensors} applies to the values: text sent as another datatype, an
	 * input the signature does not have, a datatype that is not the input's.
	 * @throws io.eino.serving.validation.InvalidInputException naming the rule
	 */
	public void checkDeclaredInput(ResolvedRequest request, SignatureSpec signature, String name, String datatype) {
		TensorExecution.checkDeclared(request.serving(), signature, name, datatype);
	}

	/**
	 * Runs a signature on caller-supplied tensors.
	 * @param signature the signature, as the resolution chose it
	 * @param outputs the outputs wanted; empty for all of them
	 */
	public Mono<TensorResult> predictTensors(ResolvedRequest request, SignatureSpec signature,
			Map<String, HostTensor> inputs, List<String> outputs, RequestOptions options) {
		TextValidator validator = this.policies.forModel(request.model());
		for (HostTensor input : inputs.values()) {
			if (input.shape().length > 0) {
				validator.checkRows(input.shape()[0]);
			}
		}
		return this.servingMeters.measure(request.model(),
				this.rateLimiters.limit(request.model(), options.client(), options.quota(),
						this.tensors.execute(request, signature, inputs, outputs, options)),
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
