package io.eino.serving.model;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.text.TextTokenizer;

/**
 * One loaded, servable version of a model: its TensorFlow session, tokenizer and pipeline
 * description.
 *
 * <p>
 * Work on a version is bracketed by {@link #acquire()} and {@link #release()}, so that a
 * version being replaced can drain its in-flight work before {@link #close()} frees the
 * session.
 */
public final class ModelVersion implements AutoCloseable {

	private final String model;

	private final long version;

	private final ModelDescriptor descriptor;

	private final SavedModelRunner runner;

	private final TextTokenizer tokenizer;

	private final AtomicInteger inFlight = new AtomicInteger();

	ModelVersion(String model, long version, ModelDescriptor descriptor, SavedModelRunner runner,
			TextTokenizer tokenizer) {
		this.model = model;
		this.version = version;
		this.descriptor = descriptor;
		this.runner = runner;
		this.tokenizer = tokenizer;
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

	public SavedModelRunner runner() {
		return this.runner;
	}

	public TextTokenizer tokenizer() {
		return this.tokenizer;
	}

	public SignatureSpec signature(String key) {
		return this.runner.signatures().get(key);
	}

	public List<SignatureSpec> signatures() {
		return List.copyOf(this.runner.signatures().values());
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

	@Override
	public void close() {
		this.tokenizer.close();
		this.runner.close();
	}

}
