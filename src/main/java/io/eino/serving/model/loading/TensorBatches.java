package io.eino.serving.model.loading;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.eino.serving.batching.BatchQueue;
import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.batching.BatchTask;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.error.Rule;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.RunnerPool;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorRows;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.validation.InvalidInputException;

/**
 * The batch queues of a version without a text pipeline, one per signature whose first
 * dimension is the batch (docs/protocols.md, "Any SavedModel"): every input and output of
 * rank 1 or more, of any size along the first dimension and of fixed sizes along the
 * others, so that any request's rows join any other's. Each row of a request is one task
 * of the shared scheduler, fairly queued between clients and admitted by time as text is;
 * the rows come back as the request's outputs.
 */
final class TensorBatches implements AutoCloseable {

	private final Map<String, BatchQueue<TensorRowRun.Row, Map<String, HostTensor>>> queues = new LinkedHashMap<>();

	private final Map<String, SignatureSpec> signatures = new LinkedHashMap<>();

	/**
	 * @param runners the version's runners, which run the batches of every queue
	 * @param options how each queue forms batches (its lengths are ignored: a row is one
	 * task of length 1)
	 */
	TensorBatches(String model, long version, RunnerPool<TensorRowRun.Row, Map<String, HostTensor>> runners,
			BatchScheduler scheduler, BatchingOptions options) {
		BatchingOptions rows = new BatchingOptions(options.maxBatchSize(), options.maxQueueDelay(),
				options.queueCapacity(), List.of(1), options.maxQueueTime(), options.priorityLead());
		try {
			for (SignatureSpec signature : runners.sessions().get(0).signatures().values()) {
				if (batchable(signature)) {
					this.queues.put(signature.key(), scheduler
						.addQueue(model + " version " + version + " signature " + signature.key(), rows, runners));
					this.signatures.put(signature.key(), signature);
				}
			}
		}
		catch (RuntimeException ex) {
			close();
			throw ex;
		}
	}

	/** Whether every input and output batches along a first dimension of any size. */
	static boolean batchable(SignatureSpec signature) {
		if (signature.inputs().isEmpty() || signature.outputs().isEmpty()) {
			return false;
		}
		List<TensorSpec> tensors = new ArrayList<>(signature.inputs());
		tensors.addAll(signature.outputs());
		for (TensorSpec tensor : tensors) {
			long[] shape = tensor.shape();
			if (shape.length == 0 || shape[0] != -1 || tensor.datatype() == null || !tensor.datatype().served()) {
				return false;
			}
			for (int i = 1; i < shape.length; i++) {
				if (shape[i] < 0) {
					return false;
				}
			}
		}
		return true;
	}

	boolean batches(String signature) {
		return this.queues.containsKey(signature);
	}

	/** Its queues, for the version's meters and its drain. */
	Collection<BatchQueue<TensorRowRun.Row, Map<String, HostTensor>>> queues() {
		return this.queues.values();
	}

	/** The signatures that batch. */
	List<String> batched() {
		return List.copyOf(this.queues.keySet());
	}

	/**
	 * Admits each row of the inputs as a task (all or none); completes with the wanted
	 * outputs, their rows joined back in order. Cancelling the future drops the rows that
	 * have not started.
	 * @throws io.eino.serving.batching.BatchingException if the queue refuses them
	 */
	CompletableFuture<Map<String, HostTensor>> submit(String signature, Map<String, HostTensor> inputs,
			List<String> outputs, long deadlineNanos, int priority, String client) {
		int rows = -1;
		for (Map.Entry<String, HostTensor> input : inputs.entrySet()) {
			int count = TensorRows.rows(input.getValue());
			if (rows >= 0 && count != rows) {
				throw new InvalidInputException(Rule.INPUT_SHAPE, "The inputs of signature '" + signature
						+ "' must agree on their first dimension (the batch), got " + rows + " and " + count);
			}
			rows = count;
		}
		List<Map<String, HostTensor>> byRow = new ArrayList<>();
		for (int row = 0; row < rows; row++) {
			byRow.add(new LinkedHashMap<>());
		}
		inputs.forEach((name, tensor) -> {
			List<HostTensor> split = TensorRows.split(tensor);
			for (int row = 0; row < split.size(); row++) {
				byRow.get(row).put(name, split.get(row));
			}
		});
		List<BatchTask<TensorRowRun.Row, Map<String, HostTensor>>> tasks = byRow.stream()
			.map((row) -> new BatchTask<TensorRowRun.Row, Map<String, HostTensor>>(new TensorRowRun.Row(signature, row),
					1, deadlineNanos, priority, client))
			.toList();
		this.queues.get(signature).submit(tasks);
		List<String> wanted = outputs.isEmpty()
				? this.signatures.get(signature).outputs().stream().map(TensorSpec::name).toList() : outputs;
		CompletableFuture<Map<String, HostTensor>> joined = CompletableFuture
			.allOf(tasks.stream().map(BatchTask::result).toArray(CompletableFuture[]::new))
			.thenApply((done) -> {
				Map<String, HostTensor> result = new LinkedHashMap<>();
				for (String output : wanted) {
					result.put(output,
							TensorRows.concat(tasks.stream().map((task) -> task.result().join().get(output)).toList()));
				}
				return result;
			});
		joined.whenComplete((result, failure) -> {
			if (joined.isCancelled()) {
				tasks.forEach(BatchTask::cancel);
			}
		});
		return joined;
	}

	/**
	 * Refuses at once when the default signature's queue would refuse a one-row request
	 * of this client.
	 */
	void checkDoor(String client) {
		BatchQueue<?, ?> queue = this.queues.get(SignatureSpec.DEFAULT_KEY);
		if (queue != null) {
			queue.checkDoor(client);
		}
	}

	/** Closes the queues; the version's runners finish what they took. */
	@Override
	public void close() {
		this.queues.values().forEach(BatchQueue::close);
	}

}
