package io.eino.serving.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The tasks waiting for one model version, in length buckets, and how they become
 * batches. Admission ({@link #submit}) is thread safe and never blocks: it reserves
 * capacity for all of a request's tasks or refuses them all. Everything else (buckets,
 * batch formation, drops) runs on the scheduler's thread only. Admission by predicted
 * wait and the fair order between clients (each task's order key) are
 * {@link FairShare}'s.
 *
 * <p>
 * A batch closes when a bucket holds as many tasks as a batch may
 * ({@link BatchingOptions#rowsFitting}: {@link BatchingOptions#maxBatchSize()}, fewer for
 * long texts under {@link BatchingOptions#maxBatchTokens()}) or its oldest task has
 * waited {@link BatchingOptions#maxQueueDelay()}, and only when the processor can start
 * it. Its tasks come from the ready bucket whose best task (lowest order key) is best;
 * tasks of other buckets join it when the {@link BatchCostModel} says the padding costs
 * less than the run it saves. Tasks whose deadline passed, or that were cancelled, are
 * dropped before they run.
 *
 * @param <I> the input type
 * @param <O> the result type
 */
public final class BatchQueue<I, O> {

	private static final Comparator<BatchTask<?, ?>> ORDER = Comparator
		.comparingLong((BatchTask<?, ?> task) -> task.orderKey)
		.thenComparingLong((task) -> task.sequence);

	private final String name;

	private final BatchingOptions options;

	private final BatchProcessor<I, O> processor;

	private final LongSupplier clock;

	private final Runnable wakeUp;

	private final AtomicInteger reserved = new AtomicInteger();

	private final AtomicLong sequence = new AtomicLong();

	private final ConcurrentLinkedQueue<BatchTask<I, O>> inbox = new ConcurrentLinkedQueue<>();

	private final List<PriorityQueue<BatchTask<I, O>>> buckets = new ArrayList<>();

	private volatile boolean closed;

	private final FairShare fair;

	BatchQueue(String name, BatchingOptions options, BatchProcessor<I, O> processor, LongSupplier clock,
			Runnable wakeUp) {
		this.name = name;
		this.options = options;
		this.processor = processor;
		this.clock = clock;
		this.wakeUp = wakeUp;
		this.fair = new FairShare(name, options, processor::parallelism);
		for (int i = 0; i < options.allowedLengths().size(); i++) {
			this.buckets.add(new PriorityQueue<>(ORDER));
		}
	}

	public String name() {
		return this.name;
	}

	public BatchingOptions options() {
		return this.options;
	}

	/**
	 * Admits all of {@code tasks} or none. The tasks of one call belong to one flow (that
	 * of the first).
	 * @throws BatchingException.QueueFull if they do not all fit
	 * @throws BatchingException.Overloaded if they would wait longer than the queue's
	 * bound by time or their deadline
	 * @throws BatchingException.QueueClosed if the queue is closed
	 */
	public void submit(List<BatchTask<I, O>> tasks) {
		if (this.closed) {
			throw new BatchingException.QueueClosed(this.name);
		}
		if (tasks.isEmpty()) {
			return;
		}
		int wanted = tasks.size();
		int current;
		do {
			current = this.reserved.get();
			if (current + wanted > this.options.queueCapacity()) {
				throw new BatchingException.QueueFull(this.name, current);
			}
		}
		while (!this.reserved.compareAndSet(current, current + wanted));
		long now = this.clock.getAsLong();
		try {
			this.fair.admit(tasks, now);
		}
		catch (RuntimeException ex) {
			this.reserved.addAndGet(-wanted);
			throw ex;
		}
		for (BatchTask<I, O> task : tasks) {
			task.enqueuedNanos = now;
			task.sequence = this.sequence.getAndIncrement();
			this.inbox.add(task);
		}
		this.wakeUp.run();
	}

	/** Tasks admitted and not yet dispatched or dropped. */
	public int depth() {
		return this.reserved.get();
	}

	/** Replaces the cost estimate (measured at warm-up). */
	public void costModel(BatchCostModel costModel) {
		this.fair.costModel(costModel);
	}

	/** Called by {@link Batch#finished}: the run is over. */
	void finished(Batch<I, O> batch, int rowsRun, long nanos) {
		this.fair.finished(batch, rowsRun, nanos);
	}

	/** Measured over predicted run time of recent batches (1 until a batch ran). */
	public double calibration() {
		return this.fair.calibration();
	}

	/** {@link FairShare#checkDoor}: refuses now what the flow's next request would be. */
	public void checkDoor(String flow) {
		this.fair.checkDoor(flow);
	}

	/** {@link FairShare#predictedWait}: the wait of a newcomer's one text, now. */
	public Duration predictedWait() {
		return this.fair.predictedWait();
	}

	/** Refuses new tasks; those admitted still run. */
	public void close() {
		this.closed = true;
		this.wakeUp.run();
	}

	/** Closed, and every admitted task dispatched or dropped. */
	public boolean isDrained() {
		return this.closed && this.reserved.get() == 0;
	}

	/**
	 * One pass, on the scheduler's thread: takes in new tasks, drops dead ones, and hands
	 * the processor every batch that is ready while it has capacity.
	 * @return nanoseconds until this queue next needs a pass without being woken
	 * ({@link Long#MAX_VALUE}: never)
	 */
	long poll(long now) {
		for (BatchTask<I, O> task = this.inbox.poll(); task != null; task = this.inbox.poll()) {
			this.buckets.get(this.options.bucketOf(task.length())).add(task);
		}
		long nextWake = dropDead(now);
		while (this.processor.hasCapacity()) {
			Batch<I, O> batch = nextBatch(now);
			if (batch == null) {
				break;
			}
			this.reserved.addAndGet(-batch.size());
			this.processor.process(batch);
		}
		// Without capacity the processor wakes the scheduler when a runner frees.
		return this.processor.hasCapacity() ? Math.min(nextWake, untilNextClose(now)) : nextWake;
	}

	/** Drops cancelled and expired tasks; returns the time to the next deadline. */
	private long dropDead(long now) {
		long nextDeadline = Long.MAX_VALUE;
		for (PriorityQueue<BatchTask<I, O>> bucket : this.buckets) {
			if (bucket.isEmpty()) {
				continue;
			}
			int before = bucket.size();
			bucket.removeIf((task) -> {
				if (task.isFinished()) {
					this.fair.leave(task);
					return true;
				}
				if (now - task.deadlineNanos() >= 0) {
					this.fair.leave(task);
					task.result()
						.completeExceptionally(new BatchingException.DeadlineExceeded(this.name,
								(now - task.enqueuedNanos) / 1_000_000));
					return true;
				}
				return false;
			});
			this.reserved.addAndGet(-(before - bucket.size()));
			for (BatchTask<I, O> task : bucket) {
				nextDeadline = Math.min(nextDeadline, task.deadlineNanos() - now);
			}
		}
		return nextDeadline;
	}

	private long untilNextClose(long now) {
		long next = Long.MAX_VALUE;
		for (PriorityQueue<BatchTask<I, O>> bucket : this.buckets) {
			if (!bucket.isEmpty()) {
				long waited = now - BatchTask.oldestEnqueued(bucket);
				next = Math.min(next, Math.max(0, this.options.maxQueueDelay().toNanos() - waited));
			}
		}
		return next;
	}

	private Batch<I, O> nextBatch(long now) {
		int base = -1;
		for (int i = 0; i < this.buckets.size(); i++) {
			PriorityQueue<BatchTask<I, O>> bucket = this.buckets.get(i);
			if (!bucket.isEmpty() && isReady(i, now)
					&& (base < 0 || ORDER.compare(bucket.peek(), this.buckets.get(base).peek()) < 0)) {
				base = i;
			}
		}
		if (base < 0) {
			return null;
		}
		List<BatchTask<I, O>> taken = new ArrayList<>(this.options.maxBatchSize());
		PriorityQueue<BatchTask<I, O>> baseBucket = this.buckets.get(base);
		int longest = 0;
		while (!baseBucket.isEmpty()) {
			int withNext = Math.max(longest, baseBucket.peek().length());
			if (taken.size() >= this.options.rowsFitting(this.options.paddedLength(withNext))) {
				break;
			}
			taken.add(baseBucket.poll());
			longest = withNext;
		}
		int padded = this.options.paddedLength(longest);
		BatchCostModel cost = this.fair.costModel();
		for (int distance = 1; distance < this.buckets.size(); distance++) {
			padded = join(taken, base - distance, padded, cost);
			padded = join(taken, base + distance, padded, cost);
		}
		taken.sort(ORDER);
		long work = this.fair.dispatched(taken);
		return new Batch<>(taken, padded, this, work);
	}

	/**
	 * Adds all of bucket {@code index} to the batch when it fits and its padding costs
	 * less than running it apart; returns the batch's padded length.
	 */
	private int join(List<BatchTask<I, O>> taken, int index, int padded, BatchCostModel cost) {
		if (index < 0 || index >= this.buckets.size()) {
			return padded;
		}
		PriorityQueue<BatchTask<I, O>> bucket = this.buckets.get(index);
		if (bucket.isEmpty()) {
			return padded;
		}
		int longest = 0;
		for (BatchTask<I, O> task : bucket) {
			longest = Math.max(longest, task.length());
		}
		int joinedPadded = Math.max(padded, this.options.paddedLength(longest));
		if (taken.size() + bucket.size() > this.options.rowsFitting(joinedPadded)) {
			return padded;
		}
		long extra = (long) joinedPadded * (taken.size() + bucket.size())
				- ((long) padded * taken.size() + (long) this.options.paddedLength(longest) * bucket.size());
		if (!cost.paddingCheaperThanRun(extra)) {
			return padded;
		}
		taken.addAll(bucket);
		bucket.clear();
		return joinedPadded;
	}

	private boolean isReady(int index, long now) {
		PriorityQueue<BatchTask<I, O>> bucket = this.buckets.get(index);
		return bucket.size() >= this.options.rowsFitting(this.options.allowedLengths().get(index))
				|| now - BatchTask.oldestEnqueued(bucket) >= this.options.maxQueueDelay().toNanos();
	}

}
