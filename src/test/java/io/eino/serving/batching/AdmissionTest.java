package io.eino.serving.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Admission by predicted time and fair order between flows, on a fake clock with a known
 * cost model: every task of length up to 10 costs 10 ms (no fixed cost, 1 ms per padded
 * token), so waits are easy to count.
 */
class AdmissionTest {

	private static final long MILLI = 1_000_000;

	private static final long FAR = Long.MAX_VALUE / 4;

	private final AtomicLong clock = new AtomicLong(1_000 * MILLI);

	private final BatchScheduler scheduler = BatchScheduler.puppet(this.clock::get);

	private final RecordingProcessor processor = new RecordingProcessor();

	private BatchQueue<String, String> queue(int maxBatchSize, long maxQueueMillis) {
		BatchQueue<String, String> queue = this.scheduler.addQueue("test", new BatchingOptions(maxBatchSize,
				Duration.ZERO, 1000, List.of(10), Duration.ofMillis(maxQueueMillis), Duration.ofMillis(10)),
				this.processor);
		queue.costModel(new BatchCostModel(0, MILLI));
		return queue;
	}

	private static BatchTask<String, String> task(String name, String flow) {
		return new BatchTask<>(name, 5, FAR, BatchTask.NORMAL_PRIORITY, flow);
	}

	private static List<BatchTask<String, String>> tasks(String prefix, String flow, int count) {
		return tasks(prefix, flow, count, FAR);
	}

	private static List<BatchTask<String, String>> tasks(String prefix, String flow, int count, long deadline) {
		List<BatchTask<String, String>> tasks = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			tasks.add(new BatchTask<>(prefix + i, 5, deadline, BatchTask.NORMAL_PRIORITY, flow));
		}
		return tasks;
	}

	@Test
	void refusesARequestPredictedToWaitLongerThanTheBoundWithARetryAfterFromThePrediction() {
		BatchQueue<String, String> queue = queue(1, 100);
		this.processor.capacity = 0;
		queue.submit(tasks("a", "alice", 10));
		// A newcomer's one task would wait behind one of alice's.
		assertThat(queue.predictedWait()).isEqualTo(Duration.ofMillis(20));
		// One more task of alice's would start after her 100 ms: still admissible.
		queue.submit(tasks("b", "alice", 1));
		assertThatExceptionOfType(BatchingException.Overloaded.class)
			.isThrownBy(() -> queue.submit(tasks("over", "alice", 1)))
			.satisfies((ex) -> assertThat(ex.retryAfter()).isEqualTo(Duration.ofSeconds(1)))
			.withMessageContaining("about 110 ms")
			.withMessageContaining("100 ms it may wait (eino.admission.max-queue-time)");
		assertThat(queue.depth()).as("nothing of the refused request stays").isEqualTo(11);
	}

	@Test
	void aRequestOfManyTextsWaitsForOthersOnlyUntilItsFirstBatchAndMustStartItsLastByItsDeadline() {
		BatchQueue<String, String> queue = queue(2, 100);
		this.processor.capacity = 0;
		queue.submit(tasks("a", "alice", 8));
		// Bob's 40 texts: his first batch waits behind some of alice's (within 100 ms),
		// the rest behind his own first ones, not counted against the queue's bound.
		queue.submit(tasks("b", "bob", 40));
		assertThat(queue.depth()).isEqualTo(48);
		// With a deadline 1 s away, 300 texts would start their last after seconds:
		// refused
		// by the deadline (a request this large for its deadline never fits; the client
		// must split it or give it more time).
		List<BatchTask<String, String>> bulk = tasks("c", "carol", 300, this.clock.get() + 1_000 * MILLI);
		assertThatExceptionOfType(BatchingException.Overloaded.class).isThrownBy(() -> queue.submit(bulk))
			.satisfies((ex) -> assertThat(ex.retryAfter()).isGreaterThanOrEqualTo(Duration.ofSeconds(2)))
			.withMessageContaining("(its deadline)");
		assertThat(queue.depth()).isEqualTo(48);
		// Dave's one text goes ahead of most of Bob's: a large request keeps the fair
		// order between clients.
		queue.submit(List.of(task("d", "dave")));
		this.processor.capacity = 4;
		this.scheduler.step();
		assertThat(this.processor.batches).hasSize(4);
		assertThat(this.processor.batches.stream().flatMap((batch) -> batch.tasks().stream()).map(BatchTask::input))
			.contains("d");
	}

	@Test
	void aClientBelowItsFairShareIsAdmittedWhileTheFloodingOneIsRefused() {
		BatchQueue<String, String> queue = queue(1, 100);
		this.processor.capacity = 0;
		queue.submit(tasks("flood", "flood", 10));
		// Bob's one task waits behind one of the flood's, not behind all ten.
		queue.submit(List.of(task("bob", "bob")));
		assertThatExceptionOfType(BatchingException.Overloaded.class)
			.isThrownBy(() -> queue.submit(List.of(task("more", "flood"))));
		this.processor.capacity = 2;
		this.scheduler.step();
		assertThat(this.processor.order()).containsExactly("flood0", "bob");
	}

	@Test
	void aNewcomerIsPredictedToWaitOnlyForTheTasksAheadOfItInTheFairOrder() {
		BatchQueue<String, String> queue = queue(1, 1000);
		this.processor.capacity = 0;
		for (String flow : List.of("a", "b", "c", "d")) {
			queue.submit(tasks(flow, flow, 5));
		}
		// Before anything ran, one task of each flow is level with a newcomer's.
		assertThat(queue.predictedWait()).isEqualTo(Duration.ofMillis(50));
		this.processor.capacity = 2;
		this.scheduler.step();
		// a and b had their turn: only c's and d's next tasks are level with it (20),
		// with
		// half the running one (10) and its own (10); not the 180 ms queued.
		assertThat(this.processor.order()).containsExactly("a0", "b0");
		assertThat(queue.predictedWait()).isEqualTo(Duration.ofMillis(40));
	}

	@Test
	void aBackloggedClientWaitsItsTurnsBehindEveryActiveClient() {
		BatchQueue<String, String> queue = queue(1, 140);
		this.processor.capacity = 0;
		for (String flow : List.of("a", "b", "c")) {
			queue.submit(tasks(flow, flow, 2));
		}
		queue.submit(tasks("d", "d", 3));
		// d's fourth task starts at tag 30: a, b and c may each run their tasks up to tag
		// 30 before it (40 ms each, queued or still to come), and d's own 30 ms: 150 ms.
		assertThatExceptionOfType(BatchingException.Overloaded.class)
			.isThrownBy(() -> queue.submit(List.of(task("d3", "d"))))
			.withMessageContaining("about 150 ms");
		// A newcomer only waits for the tasks level with it: 40 ms.
		queue.submit(List.of(task("e", "e")));
	}

	@Test
	void aClientThatLetItsBacklogRunDryComesBackWhereItWasNotAtTheFront() {
		BatchQueue<String, String> queue = queue(1, 0);
		this.processor.capacity = 0;
		List<BatchTask<String, String>> first = tasks("a", "a", 5);
		queue.submit(first);
		queue.submit(tasks("b", "b", 5));
		this.processor.capacity = 4;
		this.scheduler.step();
		// a gives up its last three (its requests were cancelled) and sends again at
		// once.
		first.subList(2, 5).forEach(BatchTask::cancel);
		this.scheduler.step();
		queue.submit(List.of(task("again", "a")));
		this.processor.capacity = 10;
		this.scheduler.step();
		assertThat(this.processor.order()).containsExactly("a0", "b0", "a1", "b1", "b2", "b3", "b4", "again");
	}

	@Test
	void flowsAreServedInTurnAndEachKeepsItsOwnOrder() {
		BatchQueue<String, String> queue = queue(4, 0);
		this.processor.capacity = 0;
		queue.submit(tasks("a", "a", 4));
		queue.submit(tasks("b", "b", 2));
		queue.submit(tasks("c", "c", 1));
		this.processor.capacity = 10;
		this.scheduler.step();
		assertThat(this.processor.order()).containsExactly("a0", "b0", "c0", "a1", "b1", "a2", "a3");
	}

	@Test
	void aFlowThatJustArrivedStartsAtTheQueuesVirtualTimeNotAtZero() {
		BatchQueue<String, String> queue = queue(1, 0);
		this.processor.capacity = 0;
		queue.submit(tasks("a", "a", 6));
		this.processor.capacity = 3;
		this.scheduler.step();
		// b arrives after three of a's ran: it starts level with the last one dispatched,
		// so it goes next and then takes turns with a; it gets no credit for the time it
		// was away.
		queue.submit(tasks("b", "b", 2));
		this.processor.capacity = 10;
		this.scheduler.step();
		assertThat(this.processor.order()).containsExactly("a0", "a1", "a2", "b0", "a3", "b1", "a4", "a5");
	}

	@Test
	void aPriorityMovesAheadByABoundedLeadAndCannotStarveOthers() {
		BatchQueue<String, String> queue = queue(1, 0);
		this.processor.capacity = 0;
		queue.submit(List.of(task("normal", "n")));
		List<BatchTask<String, String>> urgent = new ArrayList<>();
		for (int i = 0; i < 20; i++) {
			urgent.add(new BatchTask<>("p" + i, 5, FAR, 9, "p"));
		}
		queue.submit(urgent);
		this.processor.capacity = 30;
		this.scheduler.step();
		// Priority 9 leads by 9 × 10 ms of its own work: 9 of its 10 ms tasks go first,
		// then the normal one, not after all 20.
		List<String> order = this.processor.order();
		assertThat(order.indexOf("normal")).isEqualTo(9);
	}

	@Test
	void aRequestWhoseDeadlineComesBeforeItsPredictedStartIsRefusedAtOnce() {
		BatchQueue<String, String> queue = queue(1, 1000);
		this.processor.capacity = 0;
		queue.submit(tasks("a", "a", 5));
		BatchTask<String, String> hurried = new BatchTask<>("hurried", 5, this.clock.get() + 15 * MILLI,
				BatchTask.NORMAL_PRIORITY, "a");
		assertThatExceptionOfType(BatchingException.Overloaded.class).isThrownBy(() -> queue.submit(List.of(hurried)));
		BatchTask<String, String> patient = new BatchTask<>("patient", 5, this.clock.get() + 100 * MILLI,
				BatchTask.NORMAL_PRIORITY, "a");
		queue.submit(List.of(patient));
		assertThat(queue.depth()).isEqualTo(6);
	}

	@Test
	void predictionsFollowHowFastTheRunnersReallyAre() {
		BatchQueue<String, String> queue = queue(1, 100);
		this.processor.capacity = 20;
		for (int i = 0; i < 20; i++) {
			queue.submit(List.of(task("t" + i, "a")));
			this.scheduler.step();
			// Each run took twice the model's 10 ms.
			this.processor.batches.get(i).finished(1, 20 * MILLI);
		}
		assertThat(queue.calibration()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.05));
		this.processor.capacity = 0;
		// Now 5 tasks fill 100 ms (5 × 20 ms): one more starts after 100 ms, and the
		// next after 120 ms.
		queue.submit(tasks("b", "b", 6));
		assertThatExceptionOfType(BatchingException.Overloaded.class)
			.isThrownBy(() -> queue.submit(tasks("b6-", "b", 1)))
			.withMessageContaining("about 11");
	}

	@Test
	void workLeavesTheQueueWhenTasksAreDispatchedCancelledOrExpire() {
		BatchQueue<String, String> queue = queue(1, 100);
		this.processor.capacity = 0;
		List<BatchTask<String, String>> first = tasks("a", "a", 10);
		queue.submit(first);
		first.subList(0, 5).forEach(BatchTask::cancel);
		this.scheduler.step();
		// Five cancelled tasks no longer count: six more fit (the last starts after 100
		// ms).
		queue.submit(tasks("b", "a", 6));
		assertThatExceptionOfType(BatchingException.Overloaded.class)
			.isThrownBy(() -> queue.submit(tasks("c", "a", 1)));
		this.processor.capacity = 11;
		this.scheduler.step();
		for (Batch<String, String> batch : this.processor.batches) {
			batch.finished(1, 10 * MILLI);
		}
		assertThat(queue.depth()).isZero();
		assertThat(queue.predictedWait()).isEqualTo(Duration.ofMillis(10));
	}

}
