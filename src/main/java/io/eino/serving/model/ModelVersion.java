package io.eino.serving.model;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.batching.BatchQueue;
import io.eino.serving.operator.Pipeline;
import io.eino.serving.repository.ModelDescriptor;
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
 *
 * <p>
 * Work on a version is bracketed by {@link #acquire()} and {@link #release()}, so that a
 * version being replaced can drain its in-flight work before {@link #close()} closes its
 * queue, lets its runners finish and frees the sessions.
 */
public final class ModelVersion implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ModelVersion.class);

	private final String model;

	private final long version;

	private final ModelDescriptor descriptor;

	private final Pipeline pipeline;

	private final RunnerPool runners;

	private final BatchQueue<TokenSequence, float[]> queue;

	private final TextTokenizer tokenizer;

	private final OptimizationReport optimization;

	private final VersionMeters.Lease meters;

	private final Duration drainTimeout;

	private final AtomicInteger inFlight = new AtomicInteger();

	ModelVersion(String model, long version, ModelDescriptor descriptor, Pipeline pipeline, RunnerPool runners,
			BatchQueue<TokenSequence, float[]> queue, TextTokenizer tokenizer, OptimizationReport optimization,
			VersionMeters.Lease meters, Duration drainTimeout) {
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

	/** How long it may take to finish in-flight work once it is replaced. */
	public Duration drainTimeout() {
		return this.drainTimeout;
	}

	public String model() {
		return this.model;
	}

	public long version() {
		return this.version;
	}

	public ModelDescriptor descriptor() {
		return this.descriptor;
	}

	/** The pre- and post-processing operators of its {@code model.yaml}. */
	public Pipeline pipeline() {
		return this.pipeline;
	}

	/** The first runner's session, for raw-tensor requests, which are not batched. */
	public SavedModelRunner runner() {
		return this.runners.sessions().get(0);
	}

	public RunnerPool runners() {
		return this.runners;
	}

	public BatchQueue<TokenSequence, float[]> queue() {
		return this.queue;
	}

	public TextTokenizer tokenizer() {
		return this.tokenizer;
	}

	public OptimizationReport optimization() {
		return this.optimization;
	}

	public SignatureSpec signature(String key) {
		return runner().signatures().get(key);
	}

	public List<SignatureSpec> signatures() {
		return List.copyOf(runner().signatures().values());
	}

	public void acquire() {
		this.inFlight.incrementAndGet();
	}

	public void release() {
		this.inFlight.decrementAndGet();
	}

	public int inFlight() {
		return this.inFlight.get();
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
