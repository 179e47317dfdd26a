package io.eino.serving.inference;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.error.Rule;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.validation.InvalidInputException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The raw-tensor half of {@link InferenceService}: checks a request against the signature
 * its resolution chose, then runs it on the resolved version (docs/protocols.md, "Any
 * SavedModel"). A run holds the resolution until it is over.
 */
final class TensorExecution {

	private static final int WAITING = 0;

	private static final int RUNNING = 1;

	private static final int DONE = 2;

	private final Duration defaultTimeout;

	private final Scheduler completions;

	/**
	 * @param defaultTimeout a batched request's deadline unless it names its own
	 * @param completions where a request goes on once its run is over (its answer is
	 * rendered there, not on the runner's thread)
	 */
	TensorExecution(Duration defaultTimeout, Scheduler completions) {
		this.defaultTimeout = defaultTimeout;
		this.completions = completions;
	}

	/**
	 * Runs a signature on caller-supplied tensors: batched by row when the version
	 * batches the signature, else alone on one of its runners. Cancelling the returned
	 * Mono drops the rows, or the run, that have not started.
	 * @param outputs the outputs wanted; empty for all of them
	 */
	Mono<TensorResult> execute(ResolvedRequest request, SignatureSpec signature, Map<String, HostTensor> inputs,
			List<String> outputs, RequestOptions options) {
		return Mono.defer(() -> {
			ServingVersion leased = request.serving();
			List<String> wanted = check(request, signature, inputs, outputs);
			String key = signature.key();
			if (!leased.batchesTensors(key)) {
				return alone(request, key, inputs, wanted).publishOn(this.completions)
					.map((result) -> new TensorResult(leased.model(), leased.version(), result));
			}
			long deadline = System.nanoTime()
					+ ((options.timeout() != null) ? options.timeout() : this.defaultTimeout).toNanos();
			return Mono
				.fromFuture(() -> leased.submitTensors(key, inputs, outputs, deadline, options.priority(),
						options.client()))
				.publishOn(this.completions)
				.map((result) -> new TensorResult(leased.model(), leased.version(), result))
				.onErrorMap(TensorExecution::tensorFailure);
		});
	}

	/**
	 * Checks the request against the signature.
	 * @return the outputs to fetch: those asked, or all of them
	 */
	private static List<String> check(ResolvedRequest request, SignatureSpec signature, Map<String, HostTensor> inputs,
			List<String> outputs) {
		inputs.forEach((name, value) -> checkDeclared(request.serving(), signature, name, value.datatype().name()));
		checkInputs(signature, inputs);
		List<String> wanted = outputs.isEmpty() ? signature.outputs().stream().map(TensorSpec::name).toList() : outputs;
		for (String output : wanted) {
			if (!signature.hasOutput(output)) {
				throw new InvalidInputException(Rule.UNKNOWN_OUTPUT,
						"Signature '" + signature.key() + "' has no output '" + output + "'");
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
	 * Runs the signature alone on a runner of the resolved version, which it holds until
	 * the run is over: a request cancelled before its run starts lets go at once and the
	 * run never starts; one cancelled during its run lets go when the run is over, so the
	 * version is never closed under it.
	 */
	private static Mono<Map<String, HostTensor>> alone(ResolvedRequest request, String signature,
			Map<String, HostTensor> inputs, List<String> outputs) {
		AtomicInteger state = new AtomicInteger(WAITING);
		request.hold();
		CompletableFuture<Map<String, HostTensor>> run;
		try {
			run = request.serving()
				.run(signature, inputs, outputs, () -> state.compareAndSet(WAITING, RUNNING))
				.whenComplete((result, failure) -> {
					if (state.compareAndSet(RUNNING, DONE)) {
						request.release();
					}
				});
		}
		catch (RuntimeException ex) {
			state.set(DONE);
			request.release();
			return Mono.error(ex);
		}
		return Mono.fromFuture(run, true).onErrorMap(TensorExecution::tensorFailure).doFinally((signal) -> {
			if (state.compareAndSet(WAITING, DONE)) {
				request.release();
			}
		});
	}

	/**
	 * Checks an input by what is declared of it, before or without its values: text sent
	 * as another datatype to a model that takes text, an input the signature does not
	 * have, a datatype that is not the input's.
	 * @param datatype the datatype as the request names it
	 */
	static void checkDeclared(ServingVersion serving, SignatureSpec signature, String name, String datatype) {
		TextInput.refuseAsTensor(serving, signature, name, datatype);
		TensorSpec spec = InferenceService.inputSpec(signature, name);
		if (spec.datatype() == null || !spec.datatype().served()) {
			throw new InvalidInputException(Rule.INPUT_DATATYPE, "Input '" + name + "' is " + spec.datatypeName()
					+ ", which is not served (served: " + Datatype.servedNames() + ")");
		}
		if (Datatype.named(datatype) != spec.datatype()) {
			throw new InvalidInputException(Rule.INPUT_DATATYPE,
					"Input '" + name + "' must be " + spec.datatypeName() + ", got " + datatype);
		}
	}

	private static void checkInputs(SignatureSpec signature, Map<String, HostTensor> inputs) {
		for (TensorSpec spec : signature.inputs()) {
			HostTensor value = inputs.get(spec.name());
			if (value == null) {
				throw new InvalidInputException(Rule.MISSING_INPUT,
						"Signature '" + signature.key() + "' needs input '" + spec.name() + "'");
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
