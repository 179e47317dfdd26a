package io.eino.serving.inference;

import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.error.Rule;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.validation.InvalidInputException;
import org.jspecify.annotations.Nullable;

/**
 * A request after it has been resolved, once, whatever its protocol: the version it runs
 * on, leased from the registry for the whole request, and the signature it runs, chosen
 * here and nowhere else (every {@code unknown-signature} refusal is raised by this
 * class). After it, nothing asks the registry again: the execution runs on
 * {@link #serving()}.
 *
 * <p>
 * The lease is counted: the request holds it from {@link InferenceService#resolve} until
 * its pipeline ends ({@link InferenceService#resolved}), and a run that goes on on
 * another thread after that (a cancelled request whose session run has started) holds it
 * too ({@link #hold()}); the version is released when the last of them lets go.
 */
public final class ResolvedRequest {

	private final ServingVersion serving;

	private final boolean pinned;

	private final AtomicInteger holds = new AtomicInteger(1);

	ResolvedRequest(ServingVersion serving, boolean pinned) {
		this.serving = serving;
		this.pinned = pinned;
	}

	public String model() {
		return this.serving.model();
	}

	/** The version the request runs on. */
	public long version() {
		return this.serving.version();
	}

	/** Whether the request named its version (no degradation to another). */
	public boolean pinned() {
		return this.pinned;
	}

	/** The leased version. */
	public ServingVersion serving() {
		return this.serving;
	}

	public boolean takesText() {
		return this.serving.takesText();
	}

	/**
	 * The signature a text request runs: its model's text pipeline's.
	 * @param requested the signature the request names, or null
	 * @throws InvalidInputException {@code unknown-signature} if it names another
	 */
	public String textSignature(@Nullable String requested) {
		String own = this.serving.descriptor().signature();
		if (requested != null && !requested.equals(own)) {
			throw unknownSignature(
					"Text sent to model '" + model() + "' runs its signature '" + own + "', not '" + requested + "'");
		}
		return own;
	}

	/**
	 * The signature a raw-tensor request runs.
	 * @throws InvalidInputException {@code unknown-signature} if the version has none of
	 * that name
	 */
	public SignatureSpec signature(String key) {
		SignatureSpec spec = this.serving.signature(key);
		if (spec == null) {
			throw unknownSignature("Model '" + model() + "' has no signature '" + key + "' (has "
					+ this.serving.signatures().stream().map(SignatureSpec::key).toList() + ")");
		}
		return spec;
	}

	/**
	 * The signature that takes serialized {@code tf.Example}s for TF Serving's classify
	 * or regress: of that method, with one string input.
	 * @param method {@code tensorflow/serving/classify} or {@code …/regress}
	 */
	public SignatureSpec exampleSignature(String key, String method) {
		SignatureSpec spec = signature(key);
		if (!spec.methodName().equals(method) || spec.inputs().size() != 1
				|| spec.inputs().get(0).datatype() != Datatype.BYTES) {
			throw unknownSignature("Signature '" + key + "' of model '" + model() + "' is not a " + method
					+ " signature taking serialized examples (its method is '" + spec.methodName() + "')");
		}
		return spec;
	}

	/**
	 * The text pipeline of a text classifier, for what only one can do (classify
	 * examples' texts, explain).
	 * @param what what the request asks, for the refusal
	 * @param requested the signature the request names, or null
	 */
	public ModelDescriptor classifier(String what, @Nullable String requested) {
		ModelDescriptor descriptor = this.serving.descriptor();
		if (descriptor == null || descriptor.task() != ModelDescriptor.Task.CLASSIFICATION) {
			throw unknownSignature("Model '" + model() + "' is not a text classifier: it does not " + what);
		}
		textSignature(requested);
		return descriptor;
	}

	/** Refuses a model that does not answer texts with embeddings. */
	public void requireEmbeddings() {
		ModelDescriptor descriptor = this.serving.descriptor();
		if (descriptor == null || descriptor.task() != ModelDescriptor.Task.EMBEDDING) {
			throw unknownSignature("Model '" + model()
					+ "' is not an embedding model (its model.yaml has no task: embedding); see GET /v1/models");
		}
	}

	/** Refuses what a text model has no signature for (regression). */
	public void refuseText(String what) {
		throw unknownSignature("Model '" + model() + "' is a text model without a signature to " + what);
	}

	private static InvalidInputException unknownSignature(String detail) {
		return new InvalidInputException(Rule.UNKNOWN_SIGNATURE, detail);
	}

	/** One more holder of the lease (a run that may outlive the request's pipeline). */
	void hold() {
		this.holds.incrementAndGet();
	}

	/**
	 * Lets go of one hold (the one that resolved the request lets go of its own when the
	 * request is over); the version is released with the last.
	 */
	public void release() {
		if (this.holds.decrementAndGet() == 0) {
			this.serving.release();
		}
	}

}
