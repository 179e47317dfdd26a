package io.eino.serving.model.build;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.error.Rule;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.model.PublishedVersion;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.validation.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A version without a text pipeline (no {@code model.yaml}): any SavedModel, served as
 * raw tensors through its signatures (docs/protocols.md, "Any SavedModel"). Its sessions
 * take runs side by side, handed out in turn; requests are not batched with each other,
 * and the startup optimisation step (which measures text batches) does not run.
 *
 * <p>
 * Like {@link ModelVersion}, work is bracketed by {@link #acquire()} and
 * {@link #release()}, so that the registry can drain it before {@link #close()}.
 */
final class TensorModelVersion implements PublishedVersion {

	private static final Logger logger = LoggerFactory.getLogger(TensorModelVersion.class);

	private static final OptimizationReport NOT_OPTIMISED = new OptimizationReport(List.of(), "fp32",
			"no text pipeline: the SavedModel runs as stored", List.of(), Double.NaN, Double.NaN);

	private final String model;

	private final long version;

	private final List<SavedModelRunner> sessions;

	private final Duration drainTimeout;

	private final AtomicInteger next = new AtomicInteger();

	private final AtomicInteger inFlight = new AtomicInteger();

	/**
	 * Opens {@code instances} sessions of the SavedModel in {@code directory}.
	 * @throws IllegalArgumentException if it has no signature
	 */
	static TensorModelVersion open(String model, long version, Path directory, int instances, SessionSettings settings,
			Duration drainTimeout) {
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
		logger.info("Model '{}' version {}: no {}, serving raw tensors through {} with {} runner(s)", model, version,
				ModelDescriptor.FILE_NAME, sessions.get(0).signatures().keySet(), sessions.size());
		return new TensorModelVersion(model, version, sessions, drainTimeout);
	}

	/**
	 * @param sessions its instances; closed by {@link #close()}
	 */
	private TensorModelVersion(String model, long version, List<SavedModelRunner> sessions, Duration drainTimeout) {
		if (sessions.isEmpty()) {
			throw new IllegalArgumentException("A version needs at least one session");
		}
		this.model = model;
		this.version = version;
		this.sessions = List.copyOf(sessions);
		this.drainTimeout = drainTimeout;
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
	public List<BatchTask<TokenSequence, float[]>> submit(List<String> texts, long deadlineNanos, int priority,
			String client, Object trace) {
		throw new InvalidInputException(Rule.NO_TEXT_PIPELINE, "Model '" + this.model
				+ "' has no text pipeline (no model.yaml): send the tensors its signatures take");
	}

	@Override
	public TextPrediction prediction(float[] row) {
		throw new IllegalStateException("Model '" + this.model + "' has no text pipeline");
	}

	/** Nothing to check: its runs are not queued. */
	@Override
	public void checkDoor(String client) {
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

	/** None: its requests are not batched. */
	@Override
	public BatchingOptions batchingOptions() {
		return null;
	}

	@Override
	public int instances() {
		return this.sessions.size();
	}

	@Override
	public void acquire() {
		this.inFlight.incrementAndGet();
	}

	@Override
	public void release() {
		this.inFlight.decrementAndGet();
	}

	@Override
	public int inFlight() {
		return this.inFlight.get();
	}

	@Override
	public Duration drainTimeout() {
		return this.drainTimeout;
	}

	/** Frees the sessions; the registry has drained the version's runs. */
	@Override
	public void close() {
		this.sessions.forEach(SavedModelRunner::close);
	}

}
