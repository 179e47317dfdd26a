package io.eino.serving.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The tasks waiting for one model version, in length buckets, and how they become
 * batches.
 *
 * <p>
 * Admission ({@link #submit}) is thread safe and never blocks: it reserves capacity
 * atomically for all of a request's tasks or refuses them all. Everything else (buckets,
 * batch formation, drops) runs on the scheduler's thread only, so that batch state is
 * confined to one thread.
 *
 * <p>
 * <b>Admission by time.</b> Each task's run time is predicted from the
 * {@link BatchCostModel} (its share of a full batch at its padded length), corrected by
 * how fast the runners really ran the last batches. A request is refused at once
 * ({@link BatchingException.Overloaded}) when the work queued ahead of it is predicted to
 * take longer than {@link BatchingOptions#maxQueueTime()} or its own deadline, so that
 * everything admitted starts in bounded time. The work ahead is counted as the fair order
 * below will run it: the request's own flow's backlog, and of every other active flow the
 * work whose start tags come before the request's, queued or still to come in its turns.
 * A client far below its fair share is therefore admitted while others flood, and a
 * flooding client, whose own backlog waits N turns behind N others, is refused first.
 *
 * <p>
 * <b>Order.</b> Flows (clients) share the runners by start-time fair queueing: a task's
 * start tag is the later of the queue's virtual time (the earliest start tag of the last
 * batch dispatched) and the end of its flow's previous task (kept while the flow is idle
 * until the virtual time passes it), so a client with nothing queued goes to the front
 * and one with a backlog waits behind it. Tasks of one flow keep their order. A priority
 * moves a task ahead by {@link BatchingOptions#priorityLead()} per step: a bounded lead,
 * so that no priority starves the others.
 *
 * <p>
 * A batch closes when a bucket holds {@link BatchingOptions#maxBatchSize()} tasks or its
 * oldest task has waited {@link BatchingOptions#maxQueueDelay()}, and only when the
 * processor can start it. Its tasks come from the ready bucket whose best task (lowest
 * order key) is best; tasks of other buckets join it when the {@link BatchCostModel} says
 * the padding costs less than the run it saves. Tasks whose deadline passed, or that were
 * cancelled, are dropped before they run.
 *
 * @param <I> the input type
 * @param <O> the result type
 */
public final class BatchQueue<I, O> {

	private static final Comparator<BatchTask<?, ?>> ORDER = Comparator
		.comparingLong((BatchTask<?, ?> task) -> task.orderKey)
		.thenComparingLong((task) -> task.sequence);

	/** Bounds of the correction of the cost model by measured runs. */
	private static final double MIN_CALIBRATION = 0.25;

	private static final double MAX_CALIBRATION = 4;

	/** Weight of the latest run in the correction (exponential moving average). */
	private static final double CALIBRATION_WEIGHT = 0.2;

	private final String name;

	private final BatchingOptions options;

	private final BatchProcessor<I, O> processor;

	private final LongSupplier clock;

	private final Runnable wakeUp;

	private final AtomicInteger reserved = new AtomicInteger();

	private final AtomicLong sequence = new AtomicLong();

	private final ConcurrentLinkedQueue<BatchTask<I, O>> inbox = new ConcurrentLinkedQueue<>();

	private final List<PriorityQueue<BatchTask<I, O>>> buckets = new ArrayList<>();

	private volatile BatchCostModel costModel = BatchCostModel.DEFAULT;

	private volatile boolean closed;

	/**
	 * Flows with work queued, by flow; a flow leaves when its last task is dispatched.
	 */
	private final ConcurrentHashMap<String, Flow> flows = new ConcurrentHashMap<>();

	/**
	 * The virtual time: the earliest start tag of the latest batch dispatched (never
	 * going back); written by the scheduler's thread.
	 */
	private volatile long virtualTime;

	/** Predicted work of the batches handed to the processor and not yet finished. */
	private final AtomicLong runningWork = new AtomicLong();

	/** Measured over predicted run time of recent batches. Guarded by this. */
	private double calibration = 1;

	BatchQueue(String name, BatchingOptions options, BatchProcessor<I, O> processor, LongSupplier clock,
			Runnable wakeUp) {
		this.name = name;
		this.options = options;
		this.processor = processor;
		this.clock = clock;
		this.wakeUp = wakeUp;
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
			admit(tasks, now);
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

	/**
	 * Predicts the tasks' wait, refuses them if it is too long, else tags them into their
	 * flow. The check and the tagging are atomic per flow; flows are summed without a
	 * lock, so concurrent requests of other flows may overshoot the bound by their own
	 * work.
	 */
	private void admit(List<BatchTask<I, O>> tasks, long now) {
		BatchCostModel cost = this.costModel;
		double correction = calibration();
		long own = 0;
		long limit = (this.options.maxQueueTime().isZero()) ? Long.MAX_VALUE : this.options.maxQueueTime().toNanos();
		for (BatchTask<I, O> task : tasks) {
			task.workNanos = Math.round(correction * (cost.overheadNanos() / this.options.maxBatchSize()
					+ cost.nanosPerPaddedToken() * this.options.paddedLength(task.length())));
			own += task.workNanos;
			limit = Math.min(limit, task.deadlineNanos() - now);
		}
		String key = tasks.get(0).flow();
		while (true) {
			Flow flow = this.flows.computeIfAbsent(key, (name) -> new Flow());
			synchronized (flow) {
				if (flow.gone) {
					continue;
				}
				long tag = Math.max(this.virtualTime, flow.lastFinish);
				// Others run up to the start of the request's last task; of its own tasks
				// only those beyond one full batch wait for the others.
				int size = tasks.size();
				long ownAhead = own * Math.max(0, size - this.options.maxBatchSize()) / size;
				long predicted = predictWait(flow, tag + own - own / size, ownAhead);
				if (predicted > limit) {
					if (flow.tasks == 0 && flow.lastFinish - this.virtualTime <= 0) {
						forget(key, flow);
					}
					throw overloaded(predicted, limit);
				}
				long leadPerStep = this.options.priorityLead().toNanos();
				for (BatchTask<I, O> task : tasks) {
					task.startTag = tag;
					task.orderKey = tag - leadPerStep * task.priority();
					tag += task.workNanos;
				}
				flow.lastFinish = tag;
				flow.backlog += own;
				flow.tasks += tasks.size();
				return;
			}
		}
	}

	/**
	 * How long new work of {@code flow} ({@code own}, its last task starting at tag
	 * {@code start}) would wait: the flow's own backlog and the new work, half of what is
	 * running, and of every other active flow all the work whose start tags will come
	 * before {@code start} (with the task level with it) — what it has queued and what it
	 * may still add in its turns, since an active flow keeps its share — spread over the
	 * runners. Reads the flows without their locks: an estimate.
	 */
	private long predictWait(Flow flow, long start, long own) {
		long ahead = own + ((flow != null) ? flow.backlog : 0) + this.runningWork.get() / 2;
		for (Flow other : this.flows.values()) {
			if (other == flow) {
				continue;
			}
			long backlog = other.backlog;
			int tasks = other.tasks;
			if (backlog <= 0 || tasks <= 0) {
				continue;
			}
			long head = other.lastFinish - backlog;
			long reach = start - head + backlog / tasks;
			if (reach > 0) {
				ahead += reach;
			}
		}
		return ahead / Math.max(1, this.processor.parallelism());
	}

	private BatchingException.Overloaded overloaded(long predicted, long limit) {
		long bound = this.options.maxQueueTime().isZero() ? Long.MAX_VALUE : this.options.maxQueueTime().toNanos();
		long excessSeconds = Math.max(1, (predicted - limit + 999_999_999) / 1_000_000_000);
		return new BatchingException.Overloaded(this.name, Duration.ofNanos(predicted), Duration.ofNanos(limit),
				limit < bound, Duration.ofSeconds(excessSeconds));
	}

	/** A task left the queue (dispatched or dropped): its work leaves its flow. */
	private void leave(BatchTask<I, O> task) {
		Flow flow = this.flows.get(task.flow());
		if (flow == null) {
			return;
		}
		synchronized (flow) {
			flow.backlog -= task.workNanos;
			flow.tasks--;
			if (flow.backlog <= 0 || flow.tasks <= 0) {
				// Idle, but its end tag is kept until the virtual time passes it: a
				// client
				// that comes straight back continues where it was, and cannot jump the
				// queue by letting its backlog run dry.
				flow.backlog = 0;
				flow.tasks = 0;
			}
		}
	}

	/**
	 * Forgets idle flows whose end tag the virtual time has passed (they would start at
	 * the virtual time anyway). On the scheduler's thread, after each batch.
	 */
	private void forgetIdleFlows() {
		long now = this.virtualTime;
		for (Map.Entry<String, Flow> entry : this.flows.entrySet()) {
			Flow flow = entry.getValue();
			if (flow.tasks == 0 && flow.lastFinish - now <= 0) {
				synchronized (flow) {
					if (flow.tasks == 0 && flow.lastFinish - now <= 0) {
						forget(entry.getKey(), flow);
					}
				}
			}
		}
	}

	/** Under the flow's lock. */
	private void forget(String key, Flow flow) {
		flow.backlog = 0;
		flow.tasks = 0;
		flow.gone = true;
		this.flows.remove(key, flow);
	}

	/** Called by {@link Batch#finished}: the run is over. */
	void finished(Batch<I, O> batch, int rowsRun, long nanos) {
		this.runningWork.addAndGet(-batch.workNanos());
		if (rowsRun > 0) {
			BatchCostModel cost = this.costModel;
			double predicted = cost.overheadNanos() + cost.nanosPerPaddedToken() * rowsRun * batch.paddedLength();
			if (predicted > 0) {
				calibrate(nanos / predicted);
			}
		}
	}

	private synchronized void calibrate(double ratio) {
		double next = (1 - CALIBRATION_WEIGHT) * this.calibration + CALIBRATION_WEIGHT * ratio;
		this.calibration = Math.max(MIN_CALIBRATION, Math.min(MAX_CALIBRATION, next));
	}

	/** Measured over predicted run time of recent batches (1 until a batch ran). */
	public synchronized double calibration() {
		return this.calibration;
	}

	/**
	 * Refuses at once when even the smallest request of {@code flow} (one text) would be
	 * refused for time: the check a service can make before it reads, parses and
	 * tokenizes a request. Never refuses what {@link #submit} would admit.
	 * @throws BatchingException.Overloaded if the flow's next request cannot be admitted
	 */
	public void checkDoor(String flow) {
		if (this.options.maxQueueTime().isZero()) {
			return;
		}
		Flow own = this.flows.get(flow);
		long start = Math.max(this.virtualTime, (own != null) ? own.lastFinish : 0);
		long predicted = predictWait(own, start, 0);
		long limit = this.options.maxQueueTime().toNanos();
		if (predicted > limit) {
			throw overloaded(predicted, limit);
		}
	}

	/**
	 * The wait a new request of one text at the longest allowed length from a client with
	 * nothing queued would be predicted, now.
	 */
	public Duration predictedWait() {
		BatchCostModel cost = this.costModel;
		List<Integer> lengths = this.options.allowedLengths();
		long one = Math.round(calibration() * (cost.overheadNanos() / this.options.maxBatchSize()
				+ cost.nanosPerPaddedToken() * lengths.get(lengths.size() - 1)));
		return Duration.ofNanos(predictWait(null, this.virtualTime, one));
	}

	/** Tasks admitted and not yet dispatched or dropped. */
	public int depth() {
		return this.reserved.get();
	}

	/** Replaces the cost estimate (measured at warm-up). */
	public void costModel(BatchCostModel costModel) {
		this.costModel = costModel;
	}

	/** Refuses new tasks; those admitted still run. */
	public void close() {
		this.closed = true;
		this.wakeUp.run();
	}

	public boolean isClosed() {
		return this.closed;
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
			this.runningWork.addAndGet(batch.workNanos());
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
					leave(task);
					return true;
				}
				if (now - task.deadlineNanos() >= 0) {
					leave(task);
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
				long waited = now - oldest(bucket);
				next = Math.min(next, Math.max(0, this.options.maxQueueDelay().toNanos() - waited));
			}
		}
		return next;
	}

	private Batch<I, O> nextBatch(long now) {
		int base = -1;
		for (int i = 0; i < this.buckets.size(); i++) {
			PriorityQueue<BatchTask<I, O>> bucket = this.buckets.get(i);
			if (!bucket.isEmpty() && isReady(bucket, now)
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
		while (!baseBucket.isEmpty() && taken.size() < this.options.maxBatchSize()) {
			BatchTask<I, O> task = baseBucket.poll();
			taken.add(task);
			longest = Math.max(longest, task.length());
		}
		int padded = this.options.paddedLength(longest);
		BatchCostModel cost = this.costModel;
		for (int distance = 1; distance < this.buckets.size(); distance++) {
			padded = join(taken, base - distance, padded, cost);
			padded = join(taken, base + distance, padded, cost);
		}
		taken.sort(ORDER);
		long work = 0;
		long earliestStart = Long.MAX_VALUE;
		for (BatchTask<I, O> task : taken) {
			leave(task);
			work += task.workNanos;
			earliestStart = Math.min(earliestStart, task.startTag);
		}
		// The virtual time is the start tag now in service: with whole batches, the
		// earliest of the batch (a batch of another bucket may hold later tags, and a
		// newcomer must not go behind tasks still waiting in this round). Clients keep
		// their end tags while idle, so none can hold it still by re-entering at it.
		this.virtualTime = Math.max(this.virtualTime, earliestStart);
		forgetIdleFlows();
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
		if (bucket.isEmpty() || taken.size() + bucket.size() > this.options.maxBatchSize()) {
			return padded;
		}
		int longest = 0;
		for (BatchTask<I, O> task : bucket) {
			longest = Math.max(longest, task.length());
		}
		int joinedPadded = Math.max(padded, this.options.paddedLength(longest));
		long extra = (long) joinedPadded * (taken.size() + bucket.size())
				- ((long) padded * taken.size() + (long) this.options.paddedLength(longest) * bucket.size());
		if (!cost.paddingCheaperThanRun(extra)) {
			return padded;
		}
		taken.addAll(bucket);
		bucket.clear();
		return joinedPadded;
	}

	private boolean isReady(PriorityQueue<BatchTask<I, O>> bucket, long now) {
		return bucket.size() >= this.options.maxBatchSize()
				|| now - oldest(bucket) >= this.options.maxQueueDelay().toNanos();
	}

	/**
	 * A flow's queued work and where its next task's start tag begins. Guarded by itself.
	 */
	private static final class Flow {

		/** Predicted work of its tasks admitted and not yet dispatched or dropped. */
		volatile long backlog;

		/** How many tasks that is. */
		volatile int tasks;

		/** The end tag of its latest task. */
		volatile long lastFinish;

		/** Removed from the map: a submitter holding it must look again. */
		boolean gone;

	}

	private static long oldest(PriorityQueue<? extends BatchTask<?, ?>> bucket) {
		long oldest = bucket.peek().enqueuedNanos;
		for (BatchTask<?, ?> task : bucket) {
			if (task.enqueuedNanos - oldest < 0) {
				oldest = task.enqueuedNanos;
			}
		}
		return oldest;
	}

}
