package io.eino.serving.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ModelVersion;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.runtime.TokenSequence;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * One inference per request. Text requests are tokenized and batched with other requests
 * onto the version's runners; raw-tensor requests run as they are on a bounded pool of
 * tensor threads. Session runs never happen on the event loop.
 */
public class InferenceService {

	private final ModelRegistry registry;

	private final Scheduler tensorRunners;

	private final Duration defaultTimeout;

	/**
	 * @param tensorRunners where raw-tensor requests (not batched) run
	 * @param defaultTimeout a text request's deadline unless it names its own
	 */
	public InferenceService(ModelRegistry registry, Scheduler tensorRunners, Duration defaultTimeout) {
		this.registry = registry;
		this.tensorRunners = tensorRunners;
		this.defaultTimeout = defaultTimeout;
	}

	/**
	 * Predicts for each text with the model's text pipeline: tokenizes here, then hands
	 * one task per text to the version's batch queue and completes when all are done.
	 * Admission never blocks: a full queue fails at once. Cancelling the returned Mono
	 * (the client went away) drops the texts that have not started.
	 * @param version a specific version, or null for the serving one
	 */
	public Mono<TextResult> predictText(String model, Long version, List<String> texts, RequestOptions options) {
		if (texts.isEmpty()) {
			return Mono.error(new InvalidInputException("empty-instances", "The request holds no text to predict"));
		}
		return Mono.defer(() -> {
			ModelVersion leased = this.registry.lease(model, version);
			List<BatchTask<TokenSequence, float[]>> tasks;
			try {
				Duration timeout = (options.timeout() != null) ? options.timeout() : this.defaultTimeout;
				long deadline = System.nanoTime() + timeout.toNanos();
				tasks = leased.tokenizer()
					.encodeEach(texts)
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
				.then(Mono.fromCallable(() -> textResult(leased, tasks)))
				.doOnError((ex) -> tasks.forEach(BatchTask::cancel))
				.doOnCancel(() -> tasks.forEach(BatchTask::cancel))
				.doFinally((signal) -> leased.release());
		});
	}

	private static TextResult textResult(ModelVersion version, List<BatchTask<TokenSequence, float[]>> tasks) {
		List<TextPrediction> predictions = new ArrayList<>(tasks.size());
		for (BatchTask<TokenSequence, float[]> task : tasks) {
			predictions.add(toPrediction(version.descriptor(), task.result().join()));
		}
		return new TextResult(version.model(), version.version(), predictions);
	}

	/**
	 * Runs a signature on caller-supplied tensors.
	 * @param outputs the outputs wanted; empty for all of them
	 */
	public Mono<TensorResult> predictTensors(String model, Long version, String signatureKey,
			Map<String, HostTensor> inputs, List<String> outputs) {
		return onRunner(model, version, (leased) -> {
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
		});
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
			throw new InvalidInputException("invalid-tensor",
					"The model rejected the input tensors: " + firstLine(ex.getMessage()), true);
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

	private static TextPrediction toPrediction(ModelDescriptor descriptor, float[] row) {
		if (descriptor.task() == ModelDescriptor.Task.EMBEDDING) {
			return new TextPrediction.Embedding(row);
		}
		Map<String, Double> scores = new LinkedHashMap<>();
		int best = 0;
		for (int i = 0; i < row.length; i++) {
			scores.put(descriptor.labels().get(i), (double) row[i]);
			if (row[i] > row[best]) {
				best = i;
			}
		}
		return new TextPrediction.Classification(descriptor.labels().get(best), row[best], scores);
	}

	private static String firstLine(String message) {
		if (message == null) {
			return "";
		}
		int newline = message.indexOf('\n');
		return (newline < 0) ? message : message.substring(0, newline);
	}

}
