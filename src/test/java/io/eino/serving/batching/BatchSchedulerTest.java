package io.eino.serving.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The scheduler driven by hand on a fake clock: no threads, no sleeps.
 */
class BatchSchedulerTest {

	private static final long MILLI = 1_000_000;

	private static final long FAR = Long.MAX_VALUE / 4;

	private final AtomicLong clock = new AtomicLong(1_000 * MILLI);

	private final BatchScheduler scheduler = BatchScheduler.puppet(this.clock::get);

	private final RecordingProcessor processor = new RecordingProcessor();

	private BatchQueue<String, String> queue(int maxBatchSize, long delayMillis, int capacity,
			Integer... allowedLengths) {
		return this.scheduler.addQueue("test",
				new BatchingOptions(maxBatchSize, Duration.ofMillis(delayMillis), capacity, List.of(allowedLengths)),
				this.processor);
	}

	private static BatchTask<String, String> task(String name, int length) {
		return new BatchTask<>(name, length, FAR, BatchTask.NORMAL_PRIORITY);
	}

	private static List<String> names(Batch<String, String> batch) {
		return batch.inputs();
	}

	@Test
	void closesWhenFullWithoutWaitingForTheDelay() {
		BatchQueue<String, String> queue = queue(3, 100, 100, 16);
		queue.submit(List.of(task("a", 5), task("b", 5)));
		this.scheduler.step();
		assertThat(this.processor.batches).isEmpty();
		queue.submit(List.of(task("c", 5), task("d", 5)));
		this.scheduler.step();
		assertThat(this.processor.batches).hasSize(1);
		assertThat(names(this.processor.batches.get(0))).containsExactly("a", "b", "c");
		assertThat(queue.depth()).isEqualTo(1);
	}

	@Test
	void closesWhenTheOldestTaskHasWaitedTheDelay() {
		BatchQueue<String, String> queue = queue(32, 5, 100, 16);
		queue.submit(List.of(task("a", 3)));
		long untilClose = this.scheduler.step();
		assertThat(untilClose).isEqualTo(5 * MILLI);
		this.clock.addAndGet(2 * MILLI);
		queue.submit(List.of(task("b", 3)));
		assertThat(this.scheduler.step()).isEqualTo(3 * MILLI);
		assertThat(this.processor.batches).isEmpty();
		this.clock.addAndGet(3 * MILLI);
		this.scheduler.step();
		assertThat(this.processor.batches).hasSize(1);
		assertThat(names(this.processor.batches.get(0))).containsExactly("a", "b");
		assertThat(this.processor.batches.get(0).paddedLength()).isEqualTo(16);
	}

	@Test
	void padsToTheSmallestAllowedLengthThatFitsTheLongestTask() {
		BatchQueue<String, String> queue = queue(4, 0, 100, 8, 16, 32, 64);
		queue.submit(List.of(task("a", 9), task("b", 12), task("c", 16), task("d", 11)));
		this.scheduler.step();
		assertThat(this.processor.batches.get(0).paddedLength()).isEqualTo(16);
		queue.submit(List.of(task("e", 33)));
		this.scheduler.step();
		assertThat(this.processor.batches.get(1).paddedLength()).isEqualTo(64);
		queue.submit(List.of(task("f", 90)));
		this.scheduler.step();
		assertThat(this.processor.batches.get(2).paddedLength()).as("longer than every bucket: its own length")
			.isEqualTo(90);
	}

	@Test
	void keepsShortTasksApartFromLongOnesWhenPaddingCostsMoreThanARun() {
		BatchQueue<String, String> queue = queue(32, 0, 100, 8, 16, 32, 64, 128, 256);
		queue.costModel(new BatchCostModel(1_000_000, 10_000));
		this.processor.capacity = 0;
		List<BatchTask<String, String>> tasks = new ArrayList<>();
		IntStream.range(0, 10).forEach((i) -> tasks.add(task("short" + i, 6)));
		tasks.add(task("long", 200));
		queue.submit(tasks);
		this.processor.capacity = 2;
		this.scheduler.step();
		// Joining would pad 10 short rows by 248 positions: 24.8 ms of padding to save
		// a 1 ms run.
		assertThat(this.processor.batches).hasSize(2);
		assertThat(this.processor.batches.get(0).paddedLength()).isEqualTo(8);
		assertThat(this.processor.batches.get(0).size()).isEqualTo(10);
		assertThat(this.processor.batches.get(1).paddedLength()).isEqualTo(256);
	}

	@Test
	void joinsNeighbouringBucketsWhenARunCostsMoreThanThePadding() {
		BatchQueue<String, String> queue = queue(32, 0, 100, 8, 16, 32, 64);
		queue.costModel(new BatchCostModel(5_000_000, 10_000));
		this.processor.capacity = 0;
		queue.submit(List.of(task("a", 6), task("b", 14), task("c", 7), task("d", 30)));
		this.processor.capacity = 1;
		this.scheduler.step();
		// 8 → 16 pads 2 rows by 8, 16 → 32 pads 3 rows by 16: both below 5 ms.
		assertThat(this.processor.batches).hasSize(1);
		assertThat(this.processor.batches.get(0).paddedLength()).isEqualTo(32);
		assertThat(names(this.processor.batches.get(0))).containsExactly("a", "b", "c", "d");
	}

	@Test
	void longTextsCloseSmallerBatchesUnderTheTokenBudget() {
		BatchQueue<String, String> queue = this.scheduler.addQueue("test",
				new BatchingOptions(32, Duration.ofMillis(100), 100, List.of(16, 64), Duration.ZERO,
						BatchingOptions.DEFAULT_PRIORITY_LEAD, 256),
				this.processor);
		List<BatchTask<String, String>> tasks = new ArrayList<>();
		IntStream.range(0, 5).forEach((i) -> tasks.add(task("long" + i, 60)));
		queue.submit(tasks);
		this.scheduler.step();
		// 4 rows of 64 fill the 256 positions: that batch closes at once, without the
		// delay; the fifth waits.
		assertThat(this.processor.batches).hasSize(1);
		assertThat(names(this.processor.batches.get(0))).containsExactly("long0", "long1", "long2", "long3");
		assertThat(this.processor.batches.get(0).paddedLength()).isEqualTo(64);
		assertThat(queue.depth()).isEqualTo(1);
		List<BatchTask<String, String>> shorter = new ArrayList<>();
		IntStream.range(0, 20).forEach((i) -> shorter.add(task("short" + i, 10)));
		queue.submit(shorter);
		this.scheduler.step();
		// 16 rows of 16 fit the same budget.
		assertThat(this.processor.batches).hasSize(2);
		assertThat(this.processor.batches.get(1).size()).isEqualTo(16);
		assertThat(this.processor.batches.get(1).paddedLength()).isEqualTo(16);
	}

	@Test
	void aBucketJoinsOnlyWhenTheJoinedBatchFitsTheTokenBudget() {
		BatchQueue<String, String> queue = this.scheduler.addQueue("test", new BatchingOptions(32, Duration.ZERO, 100,
				List.of(8, 16), Duration.ZERO, BatchingOptions.DEFAULT_PRIORITY_LEAD, 64), this.processor);
		// A run costs far more than any padding: without the budget the two buckets
		// would run as one batch of 8 rows padded to 16 (128 positions).
		queue.costModel(new BatchCostModel(50_000_000, 10_000));
		this.processor.capacity = 0;
		List<BatchTask<String, String>> tasks = new ArrayList<>();
		IntStream.range(0, 4).forEach((i) -> tasks.add(task("a" + i, 6)));
		IntStream.range(0, 4).forEach((i) -> tasks.add(task("b" + i, 14)));
		queue.submit(tasks);
		this.processor.capacity = 2;
		this.scheduler.step();
		assertThat(this.processor.batches).hasSize(2);
		assertThat(this.processor.batches)
			.allSatisfy((batch) -> assertThat(batch.size() * batch.paddedLength()).isLessThanOrEqualTo(64));
	}

	@Test
	void dropsTasksWhoseDeadlinePassedBeforeTheyRun() {
		BatchQueue<String, String> queue = queue(32, 10, 100, 16);
		BatchTask<String, String> hurried = new BatchTask<>("hurried", 4, this.clock.get() + 3 * MILLI,
				BatchTask.NORMAL_PRIORITY);
		BatchTask<String, String> patient = task("patient", 4);
		queue.submit(List.of(hurried, patient));
		assertThat(this.scheduler.step()).as("wakes for the deadline").isEqualTo(3 * MILLI);
		this.clock.addAndGet(3 * MILLI);
		this.scheduler.step();
		assertThat(hurried.result()).isCompletedExceptionally();
		assertThatExceptionOfType(Exception.class).isThrownBy(() -> hurried.result().get(0, TimeUnit.SECONDS))
			.withCauseInstanceOf(BatchingException.DeadlineExceeded.class);
		assertThat(queue.depth()).isEqualTo(1);
		this.clock.addAndGet(7 * MILLI);
		this.scheduler.step();
		assertThat(this.processor.batches).hasSize(1);
		assertThat(names(this.processor.batches.get(0))).containsExactly("patient");
	}

	@Test
	void dropsCancelledTasksAndFreesTheirPlace() {
		BatchQueue<String, String> queue = queue(32, 0, 2, 16);
		this.processor.capacity = 0;
		BatchTask<String, String> gone = task("gone", 4);
		queue.submit(List.of(gone, task("stays", 4)));
		gone.cancel();
		this.scheduler.step();
		assertThat(queue.depth()).isEqualTo(1);
		queue.submit(List.of(task("new", 4)));
		this.processor.capacity = 1;
		this.scheduler.step();
		assertThat(names(this.processor.batches.get(0))).containsExactly("stays", "new");
	}

	@Test
	void refusesAtOnceWhenFullAndAdmitsNothingOfTheRequest() {
		BatchQueue<String, String> queue = queue(32, 0, 3, 16);
		this.processor.capacity = 0;
		queue.submit(List.of(task("a", 1), task("b", 1)));
		assertThatExceptionOfType(BatchingException.QueueFull.class)
			.isThrownBy(() -> queue.submit(List.of(task("c", 1), task("d", 1))));
		assertThat(queue.depth()).isEqualTo(2);
		queue.submit(List.of(task("e", 1)));
		assertThat(queue.depth()).isEqualTo(3);
	}

	@Test
	void keepsArrivalOrderWithinAPriorityAndRunsHigherPrioritiesFirst() {
		BatchQueue<String, String> queue = queue(3, 0, 100, 16);
		this.processor.capacity = 0;
		queue.submit(List.of(task("n1", 2), task("n2", 2)));
		queue.submit(List.of(new BatchTask<>("h1", 2, FAR, 5), task("n3", 2)));
		queue.submit(List.of(new BatchTask<>("h2", 2, FAR, 5), task("n4", 2)));
		this.processor.capacity = 2;
		this.scheduler.step();
		assertThat(names(this.processor.batches.get(0))).containsExactly("h1", "h2", "n1");
		assertThat(names(this.processor.batches.get(1))).containsExactly("n2", "n3", "n4");
	}

	@Test
	void gathersTasksWhileNoRunnerIsFree() {
		BatchQueue<String, String> queue = queue(8, 0, 100, 16);
		this.processor.capacity = 0;
		for (int i = 0; i < 5; i++) {
			queue.submit(List.of(task("t" + i, 3)));
			this.clock.addAndGet(MILLI);
			assertThat(this.scheduler.step()).as("no close timer while busy, only the far deadline")
				.isGreaterThan(Duration.ofDays(1).toNanos());
		}
		this.processor.capacity = 1;
		this.scheduler.step();
		assertThat(this.processor.batches).hasSize(1);
		assertThat(this.processor.batches.get(0).size()).isEqualTo(5);
	}

	@Test
	void aClosedQueueRefusesNewWorkButRunsWhatItAdmitted() {
		BatchQueue<String, String> queue = queue(32, 0, 100, 16);
		this.processor.capacity = 0;
		queue.submit(List.of(task("admitted", 3)));
		queue.close();
		assertThatExceptionOfType(BatchingException.QueueClosed.class)
			.isThrownBy(() -> queue.submit(List.of(task("late", 3))));
		assertThat(queue.isDrained()).isFalse();
		this.processor.capacity = 1;
		this.scheduler.step();
		assertThat(names(this.processor.batches.get(0))).containsExactly("admitted");
		assertThat(queue.isDrained()).isTrue();
	}

	@Test
	void resultsGoBackToTheirOwnTasks() throws Exception {
		BatchQueue<String, String> queue = queue(4, 0, 100, 16);
		this.processor.capacity = 0;
		List<BatchTask<String, String>> tasks = List.of(task("x", 1), task("y", 1), task("z", 1));
		queue.submit(tasks);
		this.processor.capacity = 1;
		this.scheduler.step();
		Batch<String, String> batch = this.processor.batches.get(0);
		batch.complete(batch.inputs().stream().map(String::toUpperCase).toList());
		List<String> results = new ArrayList<>();
		for (BatchTask<String, String> task : tasks) {
			results.add(task.result().get(0, TimeUnit.SECONDS));
		}
		assertThat(results).containsExactly("X", "Y", "Z");
	}

	@Test
	void theThreadedSchedulerRunsBatchesOnTheSystemClock() throws Exception {
		try (BatchScheduler threaded = BatchScheduler.start("test-batcher")) {
			BatchProcessor<String, String> echo = new BatchProcessor<>() {
				@Override
				public boolean hasCapacity() {
					return true;
				}

				@Override
				public void process(Batch<String, String> batch) {
					CompletableFuture.runAsync(() -> batch.complete(batch.inputs()));
				}
			};
			BatchQueue<String, String> queue = threaded.addQueue("threaded",
					new BatchingOptions(8, Duration.ofMillis(2), 100, List.of(16)), echo);
			BatchTask<String, String> task = task("hello", 2);
			queue.submit(List.of(task));
			assertThat(task.result().get(5, TimeUnit.SECONDS)).isEqualTo("hello");
		}
	}

}
