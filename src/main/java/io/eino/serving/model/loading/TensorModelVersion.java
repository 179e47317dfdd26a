package io.eino.serving.model.loading;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.error.Rule;
import io.eino.serving.model.LeasedVersion;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.model.SubmittedTexts;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.validation.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A version without a text pipeline (no {@code model.yaml}): any SavedModel, served as
 * raw tensors through its signatures (docs/protocols.md, "Any SavedModel"). A signature
 * whose first dimension is the batch has a batch queue ({@link TensorBatches}); the
 * others run each request alone on its sessions, handed out in turn. The startup
 * optimisation step (which measures text batches) does not run.
 *
 * <p>
 * Like {@link ModelVersion}, work is bracketed by {@link #acquire()} and
 * {@link #release()}, so that the registry can drain it before {@link #close()}.
 */
final class TensorModelVersion extends LeasedVersion {

	private static final Logger logger = LoggerFactory.getLogger(TensorModelVersion.class);

	private static final OptimizationReport NOT_OPTIMISED = new OptimizationReport(List.of(), "fp32",
			"no text pipeline: the SavedModel runs as stored", List.of(), Double.NaN, Double.NaN, Double.NaN);

	private final String model;

	private final long version;

	private final List<SavedModelRunner> sessions;

	private final Duration drainTimeout;

	private final AtomicInteger next = new AtomicInteger();

	/** The batch queues of its batchable signatures; null when batching is off. */
	private final TensorBatches batches;

	/** How its queues form batches; null when none batches. */
	private final BatchingOptions batching;

	/**
	 * Opens {@code instances} sessions of the SavedModel in {@code directory}.
	 * @throws IllegalArgumentException if it has no signature
	 */
	static TensorModelVersion open(String model, long version, Path directory, int instances, SessionSettings settings,
			Duration drainTimeout, BatchScheduler scheduler, BatchingOptions batching) {
		List<SavedModelRunner> sessions = new ArrayList<>();
		try {
			for (int i = 0; i < instances; i++) {
				sessions.add(SavedModelRunner.load(directory, settings));
			}
			if (sessions.get(0).signatures().isEmpty()) {
				throw new IllegalArgumentException("The SavedModel has no signature to serve");
			}
		}
		catch (RuntimeException ex) {
			sessions.forEach(SavedModelRunner::close);
			throw ex;
		}
		TensorBatches batches = (batching != null) ? new TensorBatches(model, version, sessions, scheduler, batching)
				: null;
		logger.info("Model '{}' version {}: no {}, serving raw tensors through {} with {} runner(s); batched: {}",
				model, version, ModelDescriptor.FILE_NAME, sessions.get(0).signatures().keySet(), sessions.size(),
				(batches != null) ? batches.batched() : List.of());
		return new TensorModelVersion(model, version, sessions, drainTimeout, batches, batching);
	}

	/**
	 * @param sessions its instances; closed by {@link #close()}
	 */
	private TensorModelVersion(String model, long version, List<SavedModelRunner> sessions, Duration drainTimeout,
			TensorBatches batches, BatchingOptions batching) {
		if (sessions.isEmpty()) {
			throw new IllegalArgumentException("A version needs at least one session");
		}
		this.model = model;
		this.version = version;
		this.sessions = List.copyOf(sessions);
		this.drainTimeout = drainTimeout;
		this.batches = batches;
		this.batching = (batches != null && !batches.batched().isEmpty()) ? batching : null;
	}

	@Override
	public String model() {
		return this.model;
	}

	@Override
	public long version() {
		return this.version;
	}

	/** None: it has no text pipeline. */
	@Override
	public ModelDescriptor descriptor() {
		return null;
	}

	@Override
	public SubmittedTexts submit(List<String> texts, long deadlineNanos, int priority, String client, Object trace) {
		throw new InvalidInputException(Rule.NO_TEXT_PIPELINE, "Model '" + this.model
				+ "' has no text pipeline (no model.yaml): send the tensors its signatures take");
	}

	@Override
	public TextPrediction prediction(float[] row) {
		throw new IllegalStateException("Model '" + this.model + "' has no text pipeline");
	}

	/** Its default signature's queue, when that one batches. */
	@Override
	public void checkDoor(String client) {
		if (this.batches != null) {
			this.batches.checkDoor(client);
		}
	}

	@Override
	public boolean batchesTensors(String signature) {
		return this.batches != null && this.batches.batches(signature);
	}

	@Override
	public CompletableFuture<Map<String, HostTensor>> submitTensors(String signature, Map<String, HostTensor> inputs,
			List<String> outputs, long deadlineNanos, int priority, String client) {
		return this.batches.submit(signature, inputs, outputs, deadlineNanos, priority, client);
	}

	@Override
	public List<SignatureSpec> signatures() {
		return List.copyOf(this.sessions.get(0).signatures().values());
	}

	@Override
	public SignatureSpec signature(String key) {
		return this.sessions.get(0).signatures().get(key);
	}

	@Override
	public Map<String, HostTensor> run(String signature, Map<String, HostTensor> inputs, List<String> outputs) {
		int turn = Math.floorMod(this.next.getAndIncrement(), this.sessions.size());
		return this.sessions.get(turn).run(signature, inputs, outputs);
	}

	@Override
	public OptimizationReport optimization() {
		return NOT_OPTIMISED;
	}

	/** How its batchable signatures' queues form batches; null when none batches. */
	@Override
	public BatchingOptions batchingOptions() {
		return this.batching;
	}

	@Override
	public int instances() {
		return this.sessions.size();
	}

	@Override
	public Duration drainTimeout() {
		return this.drainTimeout;
	}

	/**
	 * Closes its queues and runners, then frees the sessions; the registry has drained
	 * the version's runs.
	 */
	@Override
	public void close() {
		if (this.batches != null) {
			this.batches.close();
		}
		this.sessions.forEach(SavedModelRunner::close);
	}

}
