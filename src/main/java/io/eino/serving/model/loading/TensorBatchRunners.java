package io.eino.serving.model.loading;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.batching.Batch;
import io.eino.serving.batching.BatchProcessor;
import io.eino.serving.batching.BatchTask;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.TensorRows;

/**
 * Runs batches of raw-tensor rows of one signature (docs/protocols.md, "Any SavedModel"):
 * joins each input's rows along the first dimension, runs the signature once on a session
 * of the version, and splits every output back into rows. Each task is one row, its input
 * and result a map of tensors of first dimension 1.
 *
 * <p>
 * Batches run on this pool's own threads, one per session, so that the scheduler never
 * waits. A batch that TensorFlow refuses is run again row by row, so that one client's
 * bad values fail only that client's rows.
 */
final class TensorBatchRunners
		implements BatchProcessor<Map<String, HostTensor>, Map<String, HostTensor>>, AutoCloseable {

	private final List<SavedModelRunner> sessions;

	private final String signature;

	private final List<String> outputs;

	private final ExecutorService threads;

	private final AtomicInteger running = new AtomicInteger();

	private final AtomicInteger next = new AtomicInteger();

	private final AtomicInteger batchesRun = new AtomicInteger();

	private final Runnable wakeUp;

	/**
	 * @param outputs every output of the signature, fetched for every batch
	 * @param wakeUp called after every batch, so that the scheduler can close the next
	 */
	TensorBatchRunners(List<SavedModelRunner> sessions, String signature, List<String> outputs, String threadName,
			Runnable wakeUp) {
		this.sessions = List.copyOf(sessions);
		this.signature = signature;
		this.outputs = List.copyOf(outputs);
		this.wakeUp = wakeUp;
		AtomicInteger count = new AtomicInteger();
		this.threads = Executors.newFixedThreadPool(sessions.size(), (task) -> {
			Thread thread = new Thread(task, threadName + "-" + count.getAndIncrement());
			thread.setDaemon(true);
			return thread;
		});
	}

	/** Batches run so far (a batch retried row by row counts once). */
	int batchesRun() {
		return this.batchesRun.get();
	}

	@Override
	public int parallelism() {
		return this.sessions.size();
	}

	@Override
	public boolean hasCapacity() {
		return this.running.get() < this.sessions.size();
	}

	@Override
	public void process(Batch<Map<String, HostTensor>, Map<String, HostTensor>> batch) {
		this.running.incrementAndGet();
		this.threads.execute(() -> {
			long started = System.nanoTime();
			int rows = 0;
			try {
				rows = run(batch.tasks());
			}
			finally {
				this.running.decrementAndGet();
				batch.finished(rows, System.nanoTime() - started);
				this.wakeUp.run();
			}
		});
	}

	private int run(List<BatchTask<Map<String, HostTensor>, Map<String, HostTensor>>> tasks) {
		List<BatchTask<Map<String, HostTensor>, Map<String, HostTensor>>> live = new ArrayList<>();
		long now = System.nanoTime();
		for (BatchTask<Map<String, HostTensor>, Map<String, HostTensor>> task : tasks) {
			if (!task.result().isDone()) {
				live.add(task);
			}
		}
		for (BatchTask<Map<String, HostTensor>, Map<String, HostTensor>> task : live) {
			task.markStarted(live.size(), now - task.enqueuedNanos());
		}
		if (live.isEmpty()) {
			return 0;
		}
		this.batchesRun.incrementAndGet();
		SavedModelRunner session = this.sessions.get(Math.floorMod(this.next.getAndIncrement(), this.sessions.size()));
		try {
			complete(live, session.run(this.signature, join(live), this.outputs));
		}
		catch (RuntimeException ex) {
			if (live.size() == 1) {
				live.get(0).result().completeExceptionally(ex);
				return 1;
			}
			for (BatchTask<Map<String, HostTensor>, Map<String, HostTensor>> task : live) {
				try {
					complete(List.of(task), session.run(this.signature, task.input(), this.outputs));
				}
				catch (RuntimeException alone) {
					task.result().completeExceptionally(alone);
				}
			}
		}
		return live.size();
	}

	private static Map<String, HostTensor> join(
			List<BatchTask<Map<String, HostTensor>, Map<String, HostTensor>>> tasks) {
		Map<String, HostTensor> joined = new LinkedHashMap<>();
		for (String input : tasks.get(0).input().keySet()) {
			joined.put(input, TensorRows.concat(tasks.stream().map((task) -> task.input().get(input)).toList()));
		}
		return joined;
	}

	private static void complete(List<BatchTask<Map<String, HostTensor>, Map<String, HostTensor>>> tasks,
			Map<String, HostTensor> outputs) {
		Map<String, List<HostTensor>> rows = new LinkedHashMap<>();
		outputs.forEach((name, tensor) -> rows.put(name, TensorRows.split(tensor)));
		for (int row = 0; row < tasks.size(); row++) {
			Map<String, HostTensor> result = new LinkedHashMap<>();
			for (Map.Entry<String, List<HostTensor>> output : rows.entrySet()) {
				result.put(output.getKey(), output.getValue().get(row));
			}
			tasks.get(row).result().complete(result);
		}
	}

	/** Stops the threads once the running batches are over; the sessions stay open. */
	@Override
	public void close() {
		this.threads.shutdown();
		try {
			this.threads.awaitTermination(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
