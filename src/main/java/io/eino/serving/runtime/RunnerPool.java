package io.eino.serving.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;

import io.eino.serving.batching.Batch;
import io.eino.serving.batching.BatchProcessor;
import io.eino.serving.batching.BatchTask;
import io.eino.serving.batching.BatchingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runners of one model version, and the one place its sessions run: one TensorFlow
 * session each (an instance, in Triton's words), each with its own thread and its own
 * {@link BatchRun}. A closed batch, from any of the version's queues, goes to the
 * least-loaded runner: fewest batches outstanding, then least busy time so far. A request
 * that is not batched runs there too, between batches ({@link #call}).
 *
 * <p>
 * A runner takes one batch at a time, so {@link #hasCapacity()} is false while every
 * runner is busy and the scheduler keeps gathering tasks into the next batch. Tasks
 * cancelled after their batch closed are left out of the run if it has not started.
 *
 * @param <I> a row's input
 * @param <O> a row's result
 */
public final class RunnerPool<I, O> implements BatchProcessor<I, O>, AutoCloseable {

	/** Unbatched calls waiting for a runner before new ones are refused. */
	static final int CALL_CAPACITY = 1_000;

	private static final Logger logger = LoggerFactory.getLogger(RunnerPool.class);

	private final List<Runner<I, O>> runners;

	private final boolean rowByRowOnFailure;

	/** What its refusals call it: {@code model m version v}. */
	private final String name;

	private final BatchMetrics metrics;

	private final LongSupplier clock;

	private final AtomicInteger waitingCalls = new AtomicInteger();

	private volatile Runnable wakeUp = () -> {
	};

	/**
	 * @param sessions the instances, one runner each; closed by {@link #close()}
	 * @param work each runner's batch run on its session
	 * @param rowByRowOnFailure run a failed batch again row by row, so that one row's bad
	 * values fail only that row (raw tensors, whose values the model checks)
	 * @param model the version's model, and {@code version} its number: the runner
	 * threads are {@code eino-<model>-v<version>-runner-N}
	 * @param metrics what its runs report to
	 */
	public RunnerPool(List<SavedModelRunner> sessions, Function<SavedModelRunner, BatchRun<I, O>> work,
			boolean rowByRowOnFailure, String model, long version, BatchMetrics metrics, LongSupplier clock) {
		this.rowByRowOnFailure = rowByRowOnFailure;
		this.name = "model " + model + " version " + version;
		this.metrics = metrics;
		this.clock = clock;
		List<Runner<I, O>> runners = new ArrayList<>();
		for (int i = 0; i < sessions.size(); i++) {
			runners.add(new Runner<>(sessions.get(i), work.apply(sessions.get(i)),
					"eino-" + model + "-v" + version + "-runner-" + i));
		}
		this.runners = List.copyOf(runners);
	}

	/**
	 * Called after every batch and call, so that the scheduler can close the next batch.
	 */
	public void onBatchDone(Runnable wakeUp) {
		this.wakeUp = wakeUp;
	}

	public List<SavedModelRunner> sessions() {
		return this.runners.stream().map((runner) -> runner.session).toList();
	}

	/** Batches and calls waiting for or on a runner. */
	public int outstanding() {
		return this.runners.stream().mapToInt((runner) -> runner.outstanding.get()).sum();
	}

	@Override
	public int parallelism() {
		return this.runners.size();
	}

	/**
	 * Whether a runner holds no batch. Unbatched calls do not count: they are bounded and
	 * short, and a batch behind them waits its turn rather than never being formed.
	 */
	@Override
	public boolean hasCapacity() {
		return this.runners.stream().anyMatch((runner) -> runner.batches.get() == 0);
	}

	@Override
	public void process(Batch<I, O> batch) {
		Runner<I, O> runner = leastLoaded();
		runner.batches.incrementAndGet();
		if (!runner.execute(() -> run(runner, batch))) {
			runner.batches.decrementAndGet();
			runner.outstanding.decrementAndGet();
			batch.fail(new ModelRuntimeException("The runners of " + this.name + " are closed"));
		}
	}

	/**
	 * Runs {@code work} on the session of the least-loaded runner, between its batches: a
	 * request that is not batched. {@code start} is asked on the runner just before; when
	 * it answers false the work is skipped and the future completes with null.
	 * @throws BatchingException.QueueFull when {@value #CALL_CAPACITY} calls already wait
	 */
	public <T> CompletableFuture<T> call(BooleanSupplier start, Function<SavedModelRunner, T> work) {
		if (this.waitingCalls.incrementAndGet() > CALL_CAPACITY) {
			this.waitingCalls.decrementAndGet();
			throw new BatchingException.QueueFull(this.name, CALL_CAPACITY);
		}
		CompletableFuture<T> result = new CompletableFuture<>();
		Runner<I, O> runner = leastLoaded();
		boolean taken = runner.execute(() -> {
			this.waitingCalls.decrementAndGet();
			long started = this.clock.getAsLong();
			try {
				result.complete(start.getAsBoolean() ? work.apply(runner.session) : null);
			}
			catch (RuntimeException | Error ex) {
				result.completeExceptionally(ex);
			}
			finally {
				done(runner, this.clock.getAsLong() - started);
			}
		});
		if (!taken) {
			this.waitingCalls.decrementAndGet();
			runner.outstanding.decrementAndGet();
			result.completeExceptionally(new BatchingException.QueueClosed(this.name));
		}
		return result;
	}

	/**
	 * Runs {@code rows} padded to {@code length} on runner {@code index}, outside any
	 * queue: warm-up and measurement. Not to be called while the pool takes batches.
	 */
	public List<O> runDirect(int index, List<I> rows, int length) {
		Runner<I, O> runner = this.runners.get(index);
		try {
			return runner.submit(() -> runner.work.run(rows, length)).get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new ModelRuntimeException("Interrupted while running a warm-up batch", ex);
		}
		catch (ExecutionException ex) {
			throw (ex.getCause() instanceof RuntimeException runtime) ? runtime
					: new ModelRuntimeException("A warm-up batch failed: " + ex.getCause(), ex.getCause());
		}
	}

	private Runner<I, O> leastLoaded() {
		Runner<I, O> chosen = this.runners.get(0);
		for (Runner<I, O> runner : this.runners) {
			int load = runner.outstanding.get();
			int chosenLoad = chosen.outstanding.get();
			if (load < chosenLoad || (load == chosenLoad && runner.busyNanos.get() < chosen.busyNanos.get())) {
				chosen = runner;
			}
		}
		chosen.outstanding.incrementAndGet();
		return chosen;
	}

	private void run(Runner<I, O> runner, Batch<I, O> batch) {
		long started = this.clock.getAsLong();
		List<BatchTask<I, O>> live = new ArrayList<>(batch.size());
		Throwable failure = null;
		try {
			for (BatchTask<I, O> task : batch.tasks()) {
				if (!task.result().isDone()) {
					live.add(task);
				}
			}
			for (BatchTask<I, O> task : live) {
				long queued = started - task.enqueuedNanos();
				task.markStarted(live.size(), queued);
				this.metrics.queued(queued);
			}
			if (!live.isEmpty()) {
				failure = runLive(runner, live, batch.paddedLength(), started);
			}
		}
		catch (RuntimeException | Error ex) {
			failure = ex;
			batch.fail(ex);
		}
		finally {
			long elapsed = this.clock.getAsLong() - started;
			observe(live, started, started + elapsed, failure);
			batch.finished(live.size(), elapsed);
			runner.batches.decrementAndGet();
			done(runner, elapsed);
		}
	}

	/**
	 * Runs the live tasks and completes them; the batch's failure, if any (also when its
	 * rows were then run one by one).
	 */
	private Throwable runLive(Runner<I, O> runner, List<BatchTask<I, O>> live, int length, long started) {
		List<I> rows = live.stream().map(BatchTask::input).toList();
		List<O> results;
		try {
			results = runner.work.run(rows, length);
		}
		catch (RuntimeException ex) {
			if (!this.rowByRowOnFailure || live.size() == 1) {
				live.forEach((task) -> task.result().completeExceptionally(ex));
				return ex;
			}
			for (BatchTask<I, O> task : live) {
				try {
					task.result().complete(runner.work.run(List.of(task.input()), length).get(0));
				}
				catch (RuntimeException alone) {
					task.result().completeExceptionally(alone);
				}
			}
			return ex;
		}
		long tokens = rows.stream().mapToLong(runner.work::tokens).sum();
		this.metrics.ran(rows.size(), length, tokens, this.clock.getAsLong() - started);
		for (int i = 0; i < live.size(); i++) {
			live.get(i).result().complete(results.get(i));
		}
		return null;
	}

	private void done(Runner<I, O> runner, long elapsed) {
		runner.busyNanos.addAndGet(elapsed);
		this.metrics.busy(elapsed);
		runner.outstanding.decrementAndGet();
		this.wakeUp.run();
	}

	private void observe(List<BatchTask<I, O>> live, long started, long ended, Throwable failure) {
		try {
			this.metrics.observe(live, started, ended, failure);
		}
		catch (RuntimeException ex) {
			// An observer's failure must not cost the runner its next batch.
			logger.warn("A batch observer failed: {}", ex.toString());
		}
	}

	/** Stops the runner threads (after their current work) and closes the sessions. */
	@Override
	public void close() {
		this.runners.forEach(Runner::shutdown);
		this.runners.forEach(Runner::close);
	}

}
