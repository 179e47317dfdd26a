package io.eino.serving.inference;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.error.Rule;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.validation.InvalidInputException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The raw-tensor half of {@link InferenceService}: checks a request against its
 * signature, then runs it (docs/protocols.md, "Any SavedModel"). One lease per request,
 * released when its run is over.
 */
final class TensorExecution {

	private static final int WAITING = 0;

	private static final int RUNNING = 1;

	private static final int DONE = 2;

	private final ModelRegistry registry;

	private final Scheduler tensorRunners;

	private final Duration defaultTimeout;

	/**
	 * @param tensorRunners where unbatched requests run
	 * @param defaultTimeout a batched request's deadline unless it names its own
	 */
	TensorExecution(ModelRegistry registry, Scheduler tensorRunners, Duration defaultTimeout) {
		this.registry = registry;
		this.tensorRunners = tensorRunners;
		this.defaultTimeout = defaultTimeout;
	}

	/**
	 * Runs a signature on caller-supplied tensors: batched by row when the version
	 * batches the signature, else alone on the tensor threads. Cancelling the returned
	 * Mono drops the rows that have not started.
	 * @param outputs the outputs wanted; empty for all of them
	 */
	Mono<TensorResult> execute(String model, Long version, String signatureKey, Map<String, HostTensor> inputs,
			List<String> outputs, RequestOptions options) {
		return Mono.defer(() -> {
			ServingVersion leased = this.registry.lease(model, version);
			try {
				List<String> wanted = check(leased, signatureKey, inputs, outputs);
				if (!leased.batchesTensors(signatureKey)) {
					return onRunner(leased,
							() -> new TensorResult(model, leased.version(), run(leased, signatureKey, inputs, wanted)));
				}
				long deadline = System.nanoTime()
						+ ((options.timeout() != null) ? options.timeout() : this.defaultTimeout).toNanos();
				return Mono
					.fromFuture(() -> leased.submitTensors(signatureKey, inputs, outputs, deadline, options.priority(),
							options.client()))
					.map((result) -> new TensorResult(model, leased.version(), result))
					.onErrorMap(TensorExecution::tensorFailure)
					.doFinally((signal) -> leased.release());
			}
			catch (RuntimeException ex) {
				leased.release();
				throw ex;
			}
		});
	}

	/**
	 * Checks the request against the signature.
	 * @return the outputs to fetch: those asked, or all of them
	 */
	private static List<String> check(ServingVersion leased, String signatureKey, Map<String, HostTensor> inputs,
			List<String> outputs) {
		SignatureSpec signature = leased.signature(signatureKey);
		if (signature == null) {
			throw new InvalidInputException(Rule.UNKNOWN_SIGNATURE, "Model '" + leased.model() + "' has no signature '"
					+ signatureKey + "' (has " + leased.signatures().stream().map(SignatureSpec::key).toList() + ")");
		}
		inputs.forEach((name, value) -> TextInput.refuseAsTensor(leased, signature, name, value.datatype()));
		checkInputs(signature, inputs);
		List<String> wanted = outputs.isEmpty() ? signature.outputs().stream().map(TensorSpec::name).toList() : outputs;
		for (String output : wanted) {
			if (!signature.hasOutput(output)) {
				throw new InvalidInputException(Rule.UNKNOWN_OUTPUT,
						"Signature '" + signatureKey + "' has no output '" + output + "'");
			}
		}
		return wanted;
	}

	/** A batched run's failure as the unbatched path reports it. */
	private static Throwable tensorFailure(Throwable failure) {
		Throwable cause = (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null)
				? failure.getCause() : failure;
		for (Throwable each = cause; each != null; each = each.getCause()) {
			if (each instanceof TFInvalidArgumentException invalid) {
				return new InvalidInputException(Rule.INVALID_TENSOR,
						"The model rejected the input tensors: " + InferenceService.firstLine(invalid.getMessage()));
			}
		}
		return cause;
	}

	/**
	 * Runs {@code work} on the tensor threads on the version leased when the request was
	 * resolved, whose signature it was checked against, and releases that lease once:
	 * when the run is over, or when the request ends (cancelled, refused by the threads)
	 * before its run starts.
	 */
	private <T> Mono<T> onRunner(ServingVersion leased, Callable<T> work) {
		AtomicInteger state = new AtomicInteger(WAITING);
		return Mono.fromCallable(() -> {
			if (!state.compareAndSet(WAITING, RUNNING)) {
				return null;
			}
			try {
				return work.call();
			}
			finally {
				state.set(DONE);
				leased.release();
			}
		}).subscribeOn(this.tensorRunners).doFinally((signal) -> {
			if (state.compareAndSet(WAITING, DONE)) {
				leased.release();
			}
		});
	}

	private static Map<String, HostTensor> run(ServingVersion version, String signature, Map<String, HostTensor> inputs,
			List<String> outputs) {
		try {
			return version.run(signature, inputs, outputs);
		}
		catch (TFInvalidArgumentException ex) {
			throw new InvalidInputException(Rule.INVALID_TENSOR,
					"The model rejected the input tensors: " + InferenceService.firstLine(ex.getMessage()));
		}
	}

	private static void checkInputs(SignatureSpec signature, Map<String, HostTensor> inputs) {
		for (TensorSpec spec : signature.inputs()) {
			HostTensor value = inputs.get(spec.name());
			if (value == null) {
				throw new InvalidInputException(Rule.MISSING_INPUT,
						"Signature '" + signature.key() + "' needs input '" + spec.name() + "'");
			}
			if (!value.datatype().equals(spec.datatype())) {
				throw new InvalidInputException(Rule.INPUT_DATATYPE,
						"Input '" + spec.name() + "' must be " + spec.datatype() + ", got " + value.datatype());
			}
			if (!fits(spec.shape(), value.shape())) {
				throw new InvalidInputException(Rule.INPUT_SHAPE,
						"Input '" + spec.name() + "' must have shape " + java.util.Arrays.toString(spec.shape())
								+ " (-1: any size), got " + java.util.Arrays.toString(value.shape()));
			}
			if (value.size() == 0) {
				throw new InvalidInputException(Rule.INPUT_SHAPE, "Input '" + spec.name() + "' is empty");
			}
		}
		for (String name : inputs.keySet()) {
			if (!signature.hasInput(name)) {
				throw new InvalidInputException(Rule.UNKNOWN_INPUT,
						"Signature '" + signature.key() + "' has no input '" + name + "'");
			}
		}
	}

	/** Same rank, and every dimension the signature fixes has that size. */
	private static boolean fits(long[] expected, long[] actual) {
		if (expected.length != actual.length) {
			return false;
		}
		for (int i = 0; i < expected.length; i++) {
			if (expected[i] >= 0 && expected[i] != actual[i]) {
				return false;
			}
		}
		return true;
	}

}
