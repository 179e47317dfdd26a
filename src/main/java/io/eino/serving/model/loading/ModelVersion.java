package io.eino.serving.model.loading;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import io.eino.serving.batching.BatchQueue;
import io.eino.serving.batching.BatchTask;
import io.eino.serving.model.LeasedVersion;
import io.eino.serving.model.ModelFailureException;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.model.QueueSettings;
import io.eino.serving.model.SubmittedTexts;
import io.eino.serving.operator.Pipeline;
import io.eino.serving.operator.Scores;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.RunnerPool;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.text.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded, servable version of a model: its runners (TensorFlow sessions), batch
 * queue, tokenizer, pipeline description and what the startup optimisation step did.
 * Requests see it as a {@link ServingVersion}; its parts are for the build and for
 * diagnostics.
 *
 * <p>
 * Work on a version is bracketed by {@link #acquire()} and {@link #release()}, so that a
 * version being replaced can drain its in-flight work before {@link #close()} closes its
 * queue, lets its runners finish and frees the sessions.
 */
public final class ModelVersion extends LeasedVersion {

	private static final Logger logger = LoggerFactory.getLogger(ModelVersion.class);

	private final String model;

	private final long version;

	private final ModelDescriptor descriptor;

	private final Pipeline pipeline;

	private final RunnerPool<TokenSequence, float[]> runners;

	private final BatchQueue<TokenSequence, float[]> queue;

	private final TextTokenizer tokenizer;

	/** The model's limit on unknown tokens, which its tokenizer checks. */
	private final double maxUnknownTokenRatio;

	private final OptimizationReport optimization;

	private final VersionMeters.Lease meters;

	private final Duration drainTimeout;

	ModelVersion(String model, long version, ModelDescriptor descriptor, Pipeline pipeline,
			RunnerPool<TokenSequence, float[]> runners, BatchQueue<TokenSequence, float[]> queue,
			TextTokenizer tokenizer, double maxUnknownTokenRatio, OptimizationReport optimization,
			VersionMeters.Lease meters, Duration drainTimeout) {
		this.maxUnknownTokenRatio = maxUnknownTokenRatio;
		this.model = model;
		this.version = version;
		this.descriptor = descriptor;
		this.pipeline = pipeline;
		this.runners = runners;
		this.queue = queue;
		this.tokenizer = tokenizer;
		this.optimization = optimization;
		this.meters = meters;
		this.drainTimeout = drainTimeout;
	}

	@Override
	public Duration drainTimeout() {
		return this.drainTimeout;
	}

	@Override
	public String model() {
		return this.model;
	}

	@Override
	public long version() {
		return this.version;
	}

	@Override
	public ModelDescriptor descriptor() {
		return this.descriptor;
	}

	/** The pre- and post-processing operators of its {@code model.yaml}. */
	public Pipeline pipeline() {
		return this.pipeline;
	}

	/** The first runner's session: the signatures of all of them. */
	public SavedModelRunner runner() {
		return this.runners.sessions().get(0);
	}

	public RunnerPool<TokenSequence, float[]> runners() {
		return this.runners;
	}

	public BatchQueue<TokenSequence, float[]> queue() {
		return this.queue;
	}

	public TextTokenizer tokenizer() {
		return this.tokenizer;
	}

	@Override
	public OptimizationReport optimization() {
		return this.optimization;
	}

	@Override
	public QueueSettings queueSettings() {
		return QueueSettings.of(this.queue.options());
	}

	@Override
	public int instances() {
		return this.runners.parallelism();
	}

	@Override
	public SignatureSpec signature(String key) {
		return runner().signatures().get(key);
	}

	@Override
	public List<SignatureSpec> signatures() {
		return List.copyOf(runner().signatures().values());
	}

	@Override
	public SubmittedTexts submit(List<String> texts, long deadlineNanos, int priority, String client, Object trace) {
		List<String> prepared = texts.stream().map(this.pipeline::preprocess).toList();
		List<BatchTask<TokenSequence, float[]>> tasks = this.tokenizer.encodeEach(prepared, this.maxUnknownTokenRatio)
			.stream()
			.map((tokens) -> new BatchTask<TokenSequence, float[]>(tokens, tokens.length(), deadlineNanos, priority,
					client))
			.toList();
		tasks.forEach((task) -> task.attach(trace));
		this.queue.submit(tasks);
		return new SubmittedTexts(tasks);
	}

	@Override
	public TextPrediction prediction(float[] row) {
		boolean classification = this.descriptor.task() == ModelDescriptor.Task.CLASSIFICATION;
		Scores scores = this.pipeline
			.postprocess(new Scores(row, classification ? this.descriptor.labels() : List.of()));
		for (float value : scores.values()) {
			if (!Float.isFinite(value)) {
				throw new ModelFailureException(ModelFailureException.OUTPUT, "Model '" + this.model + "' version "
						+ this.version + " answered with a value that is not finite (" + value + ")", null);
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

	@Override
	public void checkDoor(String client) {
		this.queue.checkDoor(client);
	}

	@Override
	public CompletableFuture<Map<String, HostTensor>> run(String signature, Map<String, HostTensor> inputs,
			List<String> outputs, BooleanSupplier start) {
		return this.runners.call(start, (session) -> session.run(signature, inputs, outputs));
	}

	/**
	 * Closes the queue, waits (up to the drain timeout) for admitted work to be
	 * dispatched and for the runners to finish it, then frees the sessions, their tensors
	 * and the tokenizer, and gives up its meters.
	 */
	@Override
	public void close() {
		this.queue.close();
		long deadline = System.nanoTime() + this.drainTimeout.toNanos();
		while ((!this.queue.isDrained() || this.runners.outstanding() > 0) && System.nanoTime() < deadline) {
			try {
				Thread.sleep(5);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		if (!this.queue.isDrained() || this.runners.outstanding() > 0) {
			logger.warn("Model '{}' version {} still had queued or running batches after {}; closing it", this.model,
					this.version, this.drainTimeout);
		}
		this.runners.close();
		this.tokenizer.close();
		this.meters.close();
	}

}
