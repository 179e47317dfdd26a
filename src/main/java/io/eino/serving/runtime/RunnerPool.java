package io.eino.serving.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import io.eino.serving.batching.Batch;
import io.eino.serving.batching.BatchProcessor;
import io.eino.serving.batching.BatchTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.types.TInt64;

/**
 * The runners of one model version: one TensorFlow session each (an instance, in Triton's
 * words), each with its own thread and tensor pool. A closed batch goes to the
 * least-loaded runner: fewest batches outstanding, then least busy time so far.
 *
 * <p>
 * A runner takes one batch at a time, so {@link #hasCapacity()} is false while every
 * runner is busy and the scheduler keeps gathering tasks into the next batch. Tasks
 * cancelled after their batch closed are left out of the run if it has not started.
 */
public final class RunnerPool implements BatchProcessor<TokenSequence, float[]>, AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(RunnerPool.class);

	private final List<Runner> runners;

	private final String signature;

	private final String output;

	private final BatchMetrics metrics;

	private final LongSupplier clock;

	private volatile Runnable wakeUp = () -> {
	};

	/**
	 * @param sessions the instances, one runner each; closed by {@link #close()}
	 * @param signature the signature batches run
	 * @param output the float output each row's result is read from
	 * @param threadName the runner threads' name prefix
	 */
	public RunnerPool(List<SavedModelRunner> sessions, String signature, String output, String threadName,
			BatchMetrics metrics, LongSupplier clock) {
		this.signature = signature;
		this.output = output;
		this.metrics = metrics;
		this.clock = clock;
		List<Runner> runners = new ArrayList<>();
		for (int i = 0; i < sessions.size(); i++) {
			runners.add(new Runner(sessions.get(i), threadName + "-" + i));
		}
		this.runners = List.copyOf(runners);
	}

	/** Called after every batch, so that the scheduler can close the next one. */
	public void onBatchDone(Runnable wakeUp) {
		this.wakeUp = wakeUp;
	}

	public List<SavedModelRunner> sessions() {
		return this.runners.stream().map((runner) -> runner.session).toList();
	}

	public int size() {
		return this.runners.size();
	}

	/** Batches waiting for or on a runner. */
	public int outstanding() {
		return this.runners.stream().mapToInt((runner) -> runner.outstanding.get()).sum();
	}

	@Override
	public int parallelism() {
		return this.runners.size();
	}

	@Override
	public boolean hasCapacity() {
		for (Runner runner : this.runners) {
			if (runner.outstanding.get() == 0) {
				return true;
			}
		}
		return false;
	}

	@Override
	public void process(Batch<TokenSequence, float[]> batch) {
		Runner chosen = this.runners.get(0);
		for (Runner runner : this.runners) {
			int load = runner.outstanding.get();
			int chosenLoad = chosen.outstanding.get();
			if (load < chosenLoad || (load == chosenLoad && runner.busyNanos.get() < chosen.busyNanos.get())) {
				chosen = runner;
			}
		}
		chosen.outstanding.incrementAndGet();
		Runner runner = chosen;
		runner.thread.execute(() -> run(runner, batch));
	}

	/** What the runners report (queue wait, compute, batch sizes). */
	public BatchMetrics metrics() {
		return this.metrics;
	}

	/**
	 * Runs {@code rows} padded to {@code length} on runner {@code index}, outside any
	 * queue: warm-up and measurement. Not to be called while the pool takes batches.
	 */
	public float[] runDirect(int index, List<TokenSequence> rows, int length) {
		Runner runner = this.runners.get(index);
		try {
			return runner.thread.submit(() -> runner.run(rows, length)).get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new ModelRuntimeException("Interrupted while running a warm-up batch", ex);
		}
		catch (java.util.concurrent.ExecutionException ex) {
			if (ex.getCause() instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new ModelRuntimeException("A warm-up batch failed: " + ex.getCause(), ex.getCause());
		}
	}

	private void run(Runner runner, Batch<TokenSequence, float[]> batch) {
		long started = this.clock.getAsLong();
		int rowsRun = 0;
		List<BatchTask<TokenSequence, float[]>> live = new ArrayList<>(batch.size());
		Throwable failure = null;
		try {
			for (BatchTask<TokenSequence, float[]> task : batch.tasks()) {
				if (!task.result().isDone()) {
					live.add(task);
				}
			}
			for (BatchTask<TokenSequence, float[]> task : live) {
				long queued = started - task.enqueuedNanos();
				task.markStarted(live.size(), queued);
				this.metrics.queued(queued);
			}
			if (live.isEmpty()) {
				return;
			}
			List<TokenSequence> rows = live.stream().map(BatchTask::input).toList();
			rowsRun = rows.size();
			float[] values = runner.run(rows, batch.paddedLength());
			int width = values.length / rows.size();
			for (int i = 0; i < live.size(); i++) {
				live.get(i).result().complete(TensorBatcher.row(values, width, i));
			}
			long tokens = rows.stream().mapToLong(TokenSequence::length).sum();
			this.metrics.ran(rows.size(), batch.paddedLength(), tokens, this.clock.getAsLong() - started);
		}
		catch (RuntimeException | Error ex) {
			failure = ex;
			batch.fail(ex);
		}
		finally {
			long elapsed = this.clock.getAsLong() - started;
			observe(live, started, started + elapsed, failure);
			batch.finished(rowsRun, elapsed);
			runner.busyNanos.addAndGet(elapsed);
			this.metrics.busy(elapsed);
			runner.outstanding.decrementAndGet();
			this.wakeUp.run();
		}
	}

	private void observe(List<BatchTask<TokenSequence, float[]>> live, long started, long ended, Throwable failure) {
		try {
			this.metrics.observe(live, started, ended, failure);
		}
		catch (RuntimeException ex) {
			// An observer's failure must not cost the runner its next batch.
			logger.warn("A batch observer failed: {}", ex.toString());
		}
	}

	/** Stops the runner threads (after their current batch) and closes the sessions. */
	@Override
	public void close() {
		for (Runner runner : this.runners) {
			runner.thread.shutdown();
		}
		for (Runner runner : this.runners) {
			try {
				runner.thread.awaitTermination(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			runner.close();
		}
	}

	private final class Runner implements AutoCloseable {

		private final SavedModelRunner session;

		private final ExecutorService thread;

		private final TensorPool pool = new TensorPool();

		private final AtomicInteger outstanding = new AtomicInteger();

		private final AtomicLong busyNanos = new AtomicLong();

		private long[] ids = new long[0];

		private long[] mask = new long[0];

		private long[] typeIds = new long[0];

		Runner(SavedModelRunner session, String threadName) {
			this.session = session;
			this.thread = Executors.newSingleThreadExecutor((task) -> {
				Thread thread = new Thread(task, threadName);
				thread.setDaemon(true);
				return thread;
			});
		}

		/** On this runner's thread only. */
		float[] run(List<TokenSequence> rows, int length) {
			int size = rows.size() * length;
			if (this.ids.length < size) {
				this.ids = new long[size];
				this.mask = new long[size];
				this.typeIds = new long[size];
			}
			TensorBatcher.pad(rows, length, this.ids, this.mask, this.typeIds);
			TInt64 idsTensor = this.pool.take(rows.size(), length);
			TInt64 maskTensor = this.pool.take(rows.size(), length);
			TInt64 typeTensor = this.pool.take(rows.size(), length);
			try {
				idsTensor.asRawTensor().data().asLongs().write(this.ids, 0, size);
				maskTensor.asRawTensor().data().asLongs().write(this.mask, 0, size);
				typeTensor.asRawTensor().data().asLongs().write(this.typeIds, 0, size);
				Map<String, TInt64> inputs = Map.of(SavedModelRunner.TOKEN_INPUTS.get(0), idsTensor,
						SavedModelRunner.TOKEN_INPUTS.get(1), maskTensor, SavedModelRunner.TOKEN_INPUTS.get(2),
						typeTensor);
				HostTensor result = this.session
					.runTensors(RunnerPool.this.signature, inputs, List.of(RunnerPool.this.output))
					.get(RunnerPool.this.output);
				if (!(result instanceof HostTensor.Float32 floats)) {
					throw new ModelRuntimeException("Output '" + RunnerPool.this.output + "' is not float32");
				}
				return floats.values();
			}
			finally {
				this.pool.give(idsTensor);
				this.pool.give(maskTensor);
				this.pool.give(typeTensor);
			}
		}

		@Override
		public void close() {
			this.pool.close();
			this.session.close();
		}

	}

}
