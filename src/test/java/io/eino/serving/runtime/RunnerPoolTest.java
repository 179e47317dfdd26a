package io.eino.serving.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.eino.serving.batching.BatchQueue;
import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.batching.BatchTask;
import io.eino.serving.batching.BatchingException;
import io.eino.serving.batching.BatchingOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The one runner pool, with batch runs that are fakes (no TensorFlow): batches go to an
 * idle runner and report their rows; a failed batch fails whole or row by row as asked;
 * unbatched calls run between batches, are skipped when their request gave up, and are
 * refused past the pool's capacity. The scheduler is a puppet on a fake clock.
 */
class RunnerPoolTest {

	private final AtomicLong clock = new AtomicLong();

	private final BatchScheduler scheduler = BatchScheduler.puppet(this.clock::get);

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final CountDownLatch open = new CountDownLatch(1);

	private final List<RunnerPool<String, String>> pools = new ArrayList<>();

	@AfterEach
	void close() {
		this.open.countDown();
		this.pools.forEach(RunnerPool::close);
	}

	@Test
	void aBatchRunsOnceAndEachRowGetsItsResult() throws Exception {
		RunnerPool<String, String> pool = pool(1, false, (rows) -> rows.stream().map(String::toUpperCase).toList());
		List<BatchTask<String, String>> tasks = submit(pool, "a", "bb", "ccc");
		for (int i = 0; i < tasks.size(); i++) {
			assertThat(tasks.get(i).result().get(5, TimeUnit.SECONDS)).isEqualTo(List.of("A", "BB", "CCC").get(i));
		}
		assertThat(this.meters.get("eino.executions").counter().count()).isEqualTo(1);
		assertThat(this.meters.get("eino.inferences").counter().count()).isEqualTo(3);
		assertThat(this.meters.get("eino.batch.tokens").counter().count()).as("the runs' own token count").isEqualTo(6);
	}

	@Test
	void aRunnerTakesOneBatchAtATimeAndTheNextGoesToAnIdleOne() throws Exception {
		List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
		RunnerPool<String, String> pool = pool(2, false, (rows) -> {
			threads.add(Thread.currentThread().getName());
			await();
			return rows;
		});
		assertThat(pool.hasCapacity()).isTrue();
		List<BatchTask<String, String>> first = submit(pool, "a");
		assertThat(pool.hasCapacity()).as("one runner is still idle").isTrue();
		List<BatchTask<String, String>> second = submit(pool, "b");
		assertThat(pool.hasCapacity()).as("both runners hold a batch").isFalse();
		assertThat(pool.outstanding()).isEqualTo(2);
		this.open.countDown();
		assertThat(first.get(0).result().get(5, TimeUnit.SECONDS)).isEqualTo("a");
		assertThat(second.get(0).result().get(5, TimeUnit.SECONDS)).isEqualTo("b");
		assertThat(threads).containsExactlyInAnyOrder("eino-test-v1-runner-0", "eino-test-v1-runner-1");
	}

	@Test
	void aFailedBatchIsRunAgainRowByRowWhenAskedSoOnlyTheBadRowFails() throws Exception {
		RunnerPool<String, String> pool = pool(1, true, RunnerPoolTest::refuseBad);
		List<BatchTask<String, String>> tasks = submit(pool, "good", "bad", "fine");
		assertThat(tasks.get(0).result().get(5, TimeUnit.SECONDS)).isEqualTo("good");
		assertThat(tasks.get(2).result().get(5, TimeUnit.SECONDS)).isEqualTo("fine");
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> tasks.get(1).result().get())
			.withMessageContaining("bad row");
	}

	@Test
	void aFailedBatchFailsWholeUnlessAsked() {
		RunnerPool<String, String> pool = pool(1, false, RunnerPoolTest::refuseBad);
		List<BatchTask<String, String>> tasks = submit(pool, "good", "bad");
		for (BatchTask<String, String> task : tasks) {
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> task.result().get(5, TimeUnit.SECONDS))
				.withMessageContaining("bad row");
		}
		assertThat(this.meters.get("eino.executions").counter().count()).isZero();
	}

	@Test
	void aCallRunsOnARunnerAndIsSkippedWhenItsRequestGaveUp() throws Exception {
		RunnerPool<String, String> pool = pool(1, false, (rows) -> rows);
		CompletableFuture<String> run = pool.call(() -> true, (session) -> Thread.currentThread().getName());
		assertThat(run.get(5, TimeUnit.SECONDS)).isEqualTo("eino-test-v1-runner-0");
		List<String> ran = new ArrayList<>();
		CompletableFuture<String> skipped = pool.call(() -> false, (session) -> {
			ran.add("ran");
			return "ran";
		});
		assertThat(skipped.get(5, TimeUnit.SECONDS)).isNull();
		assertThat(ran).isEmpty();
	}

	@Test
	void callsPastTheCapacityAreRefusedAtOnce() throws Exception {
		RunnerPool<String, String> pool = pool(1, false, (rows) -> rows);
		CountDownLatch started = new CountDownLatch(1);
		CompletableFuture<String> holding = pool.call(() -> true, (session) -> {
			started.countDown();
			await();
			return "held";
		});
		// The runner holds the call: it waits in no queue.
		assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
		List<CompletableFuture<String>> waiting = new ArrayList<>();
		for (int i = 0; i < RunnerPool.CALL_CAPACITY; i++) {
			waiting.add(pool.call(() -> true, (session) -> "later"));
		}
		assertThatExceptionOfType(BatchingException.QueueFull.class)
			.isThrownBy(() -> pool.call(() -> true, (session) -> "refused"));
		this.open.countDown();
		assertThat(holding.get(5, TimeUnit.SECONDS)).isEqualTo("held");
		assertThat(waiting.get(waiting.size() - 1).get(5, TimeUnit.SECONDS)).isEqualTo("later");
		assertThat(pool.call(() -> true, (session) -> "again").get(5, TimeUnit.SECONDS)).isEqualTo("again");
	}

	@Test
	void unbatchedCallsNeverKeepABatchFromBeingFormed() throws Exception {
		RunnerPool<String, String> pool = pool(1, false, (rows) -> rows);
		CompletableFuture<String> holding = pool.call(() -> true, (session) -> {
			await();
			return "held";
		});
		assertThat(pool.hasCapacity()).as("a call is no batch: the runner takes the next batch").isTrue();
		List<BatchTask<String, String>> batch = submit(pool, "queued behind the call");
		assertThat(pool.hasCapacity()).isFalse();
		this.open.countDown();
		assertThat(holding.get(5, TimeUnit.SECONDS)).isEqualTo("held");
		assertThat(batch.get(0).result().get(5, TimeUnit.SECONDS)).isEqualTo("queued behind the call");
		// The runner counts the batch done just after completing its rows.
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (pool.outstanding() != 0 && System.nanoTime() < deadline) {
			Thread.onSpinWait();
		}
		assertThat(pool.outstanding()).isZero();
	}

	@Test
	void aClosedPoolRefusesCallsAndBatchesWithoutLosingCount() {
		RunnerPool<String, String> pool = pool(1, false, (rows) -> rows);
		pool.close();
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> pool.call(() -> true, (session) -> "late").get(5, TimeUnit.SECONDS))
			.withCauseInstanceOf(BatchingException.QueueClosed.class);
		List<BatchTask<String, String>> batch = submit(pool, "late");
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> batch.get(0).result().get(5, TimeUnit.SECONDS));
		assertThat(pool.outstanding()).isZero();
	}

	private RunnerPool<String, String> pool(int runners, boolean rowByRow,
			java.util.function.Function<List<String>, List<String>> run) {
		List<SavedModelRunner> sessions = new ArrayList<>();
		for (int i = 0; i < runners; i++) {
			// No TensorFlow: a runner whose session is never run, only closed.
			sessions.add(new SavedModelRunner(Path.of("fake"), Map.of(), null, () -> {
			}, null));
		}
		RunnerPool<String, String> pool = new RunnerPool<>(sessions, (session) -> new BatchRun<String, String>() {

			@Override
			public List<String> run(List<String> rows, int length) {
				return run.apply(rows);
			}

			@Override
			public long tokens(String row) {
				return row.length();
			}

		}, rowByRow, "test", 1, new BatchMetrics(this.meters, "fake", 1, runners, BatchObserver.NONE), this.clock::get);
		pool.onBatchDone(this.scheduler::wakeUp);
		this.pools.add(pool);
		return pool;
	}

	/** Submits the rows as tasks of one queue and lets the scheduler close the batch. */
	private List<BatchTask<String, String>> submit(RunnerPool<String, String> pool, String... rows) {
		BatchQueue<String, String> queue = this.scheduler.addQueue("fake",
				new BatchingOptions(8, Duration.ofMillis(1), 64, List.of(1)), pool);
		List<BatchTask<String, String>> tasks = new ArrayList<>();
		for (String row : rows) {
			tasks.add(new BatchTask<>(row, 1, Long.MAX_VALUE, BatchTask.NORMAL_PRIORITY));
		}
		queue.submit(tasks);
		this.clock.addAndGet(Duration.ofMillis(2).toNanos());
		this.scheduler.step();
		return tasks;
	}

	private static List<String> refuseBad(List<String> rows) {
		if (rows.contains("bad")) {
			throw new IllegalArgumentException("bad row in " + rows);
		}
		return rows;
	}

	private void await() {
		try {
			this.open.await(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
