package io.eino.serving.model;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;

/**
 * A loaded model version as a request sees it (docs/architecture.md, "Request path"):
 * texts go in, predictions come out, tensors run, and it describes itself. Its runners,
 * queue and tokenizer stay behind this interface. A request gets one from
 * {@link ModelRegistry#lease} and {@link #release() releases} it when it is done.
 */
public interface ServingVersion {

	String model();

	long version();

	/**
	 * Its {@code model.yaml}, with the configured overrides applied; null for a version
	 * without a text pipeline, which serves raw tensors only.
	 */
	ModelDescriptor descriptor();

	/** Whether it takes text (it has a {@code model.yaml}). */
	default boolean takesText() {
		return descriptor() != null;
	}

	/**
	 * Preprocesses and tokenizes the texts and admits one task per text to the version's
	 * batch queue, all or none; each text is answered with its output row. The tokenizer
	 * checks the model's limit on unknown tokens.
	 * @param deadlineNanos when the request's texts must have started
	 * @param priority the request's (trusted) priority
	 * @param client the client, for fair queueing
	 * @param trace the request's trace context, attached to each task for whoever
	 * observes the batches (opaque here; null when untraced)
	 * @throws io.eino.serving.validation.InvalidInputException if a text fails the
	 * tokenizer's rules
	 * @throws io.eino.serving.batching.BatchingException if the queue refuses them
	 */
	SubmittedTexts submit(List<String> texts, long deadlineNanos, int priority, String client, Object trace);

	/**
	 * One text's output row through the post-processing operators.
	 * @throws ModelFailureException if a value is NaN or infinite
	 */
	TextPrediction prediction(float[] row);

	/**
	 * Refuses at once when the queue would refuse even a one-text request of this client.
	 * @throws io.eino.serving.batching.BatchingException.Overloaded to refuse
	 */
	void checkDoor(String client);

	List<SignatureSpec> signatures();

	/** A signature by key; null when it has none of that name. */
	SignatureSpec signature(String key);

	/**
	 * Runs a signature on caller-supplied tensors, unbatched, on one of the version's
	 * runners between its batches.
	 * @param outputs the outputs wanted
	 * @param start asked on the runner just before the run: when it answers false (the
	 * request gave up meanwhile) the run is skipped and the future completes with null
	 * @throws io.eino.serving.batching.BatchingException.QueueFull when too many such
	 * runs already wait
	 */
	CompletableFuture<Map<String, HostTensor>> run(String signature, Map<String, HostTensor> inputs,
			List<String> outputs, BooleanSupplier start);

	/**
	 * Whether raw-tensor requests of {@code signature} are batched with one another: then
	 * they go through {@link #submitTensors}, not {@link #run}.
	 */
	default boolean batchesTensors(String signature) {
		return false;
	}

	/**
	 * Admits each row of a raw-tensor request to the signature's batch queue, all or
	 * none; completes with the wanted outputs. Cancelling the future drops the rows that
	 * have not started.
	 * @param outputs the outputs wanted; empty for all of them
	 * @param deadlineNanos when the rows must have started
	 * @throws io.eino.serving.batching.BatchingException if the queue refuses them
	 */
	default CompletableFuture<Map<String, HostTensor>> submitTensors(String signature, Map<String, HostTensor> inputs,
			List<String> outputs, long deadlineNanos, int priority, String client) {
		throw new UnsupportedOperationException("Signature '" + signature + "' is not batched");
	}

	/** What the startup optimisation step did and measured. */
	OptimizationReport optimization();

	/** How its queue forms batches; null when its requests are not batched. */
	QueueSettings queueSettings();

	/** Its runners (sessions). */
	int instances();

	/** Ends the lease taken by {@link ModelRegistry#lease}. */
	void release();

}
