package io.eino.serving.model.loading;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.error.Rule;
import io.eino.serving.model.LeasedVersion;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.model.QueueSettings;
import io.eino.serving.model.SubmittedTexts;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.RunnerPool;
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
 * others run each request alone on its runners, between batches. The startup optimisation
 * step (which measures text batches) does not run.
 *
 * <p>
 * Like {@link ModelVersion}, work is bracketed by {@link #acquire()} and
 * {@link #release()}, so that the registry can drain it before {@link #close()}.
 */
final class TensorModelVersion extends LeasedVersion {

	private static final Logger logger = LoggerFactory.getLogger(TensorModelVersion.class);

	private static final OptimizationReport NOT_OPTIMISED = new OptimizationReport(List.of(), "fp32",
			"no text pipeline: the SavedModel runs as stored", List.of(), Double.NaN, Double.NaN, Double.NaN,
			"not run");

	private final String model;

	private final long version;

	private final RunnerPool<TensorRowRun.Row, Map<String, HostTensor>> runners;

	private final Duration drainTimeout;

	private final VersionMeters.Lease meters;

	/** The batch queues of its batchable signatures; null when batching is off. */
	private final TensorBatches batches;

	/** How its queues form batches; null when none batches. */
	private final BatchingOptions batching;

	/**
	 * Opens {@code instances} sessions of the SavedModel in {@code directory}.
	 * @param versionMeters where its runners and queues take their meters
	 * @throws IllegalArgumentException if it has no signature
	 */
	static TensorModelVersion open(String model, long version, Path directory, int instances, SessionSettings settings,
			Duration drainTimeout, BatchScheduler scheduler, BatchingOptions batching, VersionMeters versionMeters) {
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
		VersionMeters.Lease meters = versionMeters.acquire(model, version, instances);
		RunnerPool<TensorRowRun.Row, Map<String, HostTensor>> runners = new RunnerPool<>(sessions, TensorRowRun::new,
				true, model, version, meters.metrics(), System::nanoTime);
		runners.onBatchDone(scheduler::wakeUp);
		TensorBatches batches = null;
		try {
			batches = (batching != null) ? new TensorBatches(model, version, runners, scheduler, batching) : null;
			if (batches != null) {
				batches.queues().forEach(meters::track);
			}
		}
		catch (RuntimeException ex) {
			if (batches != null) {
				batches.close();
			}
			runners.close();
			meters.close();
			throw ex;
		}
		logger.info("Model '{}' version {}: no {}, serving raw tensors through {} with {} runner(s); batched: {}",
				model, version, ModelDescriptor.FILE_NAME, sessions.get(0).signatures().keySet(), sessions.size(),
				(batches != null) ? batches.batched() : List.of());
		return new TensorModelVersion(model, version, runners, drainTimeout, batches, batching, meters);
	}

	/**
	 * @param runners its runners, over its sessions; closed by {@link #close()}
	 */
	private TensorModelVersion(String model, long version,
			RunnerPool<TensorRowRun.Row, Map<String, HostTensor>> runners, Duration drainTimeout, TensorBatches batches,
			BatchingOptions batching, VersionMeters.Lease meters) {
		this.model = model;
		this.version = version;
		this.runners = runners;
		this.drainTimeout = drainTimeout;
		this.batches = batches;
		this.batching = (batches != null && !batches.batched().isEmpty()) ? batching : null;
		this.meters = meters;
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
		return List.copyOf(this.runners.sessions().get(0).signatures().values());
	}

	@Override
	public SignatureSpec signature(String key) {
		return this.runners.sessions().get(0).signatures().get(key);
	}

	@Override
	public CompletableFuture<Map<String, HostTensor>> run(String signature, Map<String, HostTensor> inputs,
			List<String> outputs, BooleanSupplier start) {
		return this.runners.call(start, (session) -> session.run(signature, inputs, outputs));
	}

	@Override
	public OptimizationReport optimization() {
		return NOT_OPTIMISED;
	}

	/** How its batchable signatures' queues form batches; null when none batches. */
	@Override
	public QueueSettings queueSettings() {
		return QueueSettings.of(this.batching);
	}

	@Override
	public int instances() {
		return this.runners.parallelism();
	}

	@Override
	public Duration drainTimeout() {
		return this.drainTimeout;
	}

	/**
	 * Closes its queues, lets its runners finish what they took, then frees the sessions
	 * and gives up its meters; the registry has drained the version's requests.
	 */
	@Override
	public void close() {
		if (this.batches != null) {
			this.batches.close();
		}
		this.runners.close();
		this.meters.close();
	}

}
