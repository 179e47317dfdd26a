package io.eino.serving.batching;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The fair order and the admission by time of one {@link BatchQueue} (docs/traffic.md,
 * "Admission"). Admission and the door run on request threads under per-flow locks;
 * dispatching and the end of runs on the scheduler's and the runners' threads.
 * Hand-written: start-time fair queueing with admission by predicted wait is not what a
 * rate-limiter or bulkhead library offers.
 *
 * <p>
 * <b>Admission by time.</b> Each task's run time is predicted from the
 * {@link BatchCostModel} (its share of a full batch at its padded length), corrected by
 * how fast the runners really ran the last batches. A request is refused at once
 * ({@link BatchingException.Overloaded}) when the work queued ahead of it is predicted to
 * take longer than {@link BatchingOptions#maxQueueTime()} or its own deadline, so that
 * everything admitted starts in bounded time. A request of more texts than one batch
 * holds is bounded by the queue time up to its first batch, and by its deadline up to its
 * last task: it is admitted whole on a quiet model and runs over several batches. The
 * work ahead is counted as the fair order below will run it: the request's own flow's
 * backlog, and of every other active flow the work whose start tags come before the
 * request's, queued or still to come in its turns. A client far below its fair share is
 * therefore admitted while others flood, and a flooding client, whose own backlog waits N
 * turns behind N others, is refused first.
 *
 * <p>
 * <b>Order.</b> Flows (clients) share the runners by start-time fair queueing: a task's
 * start tag is the later of the queue's virtual time (the earliest start tag of the last
 * batch dispatched) and the end of its flow's previous task (kept while the flow is idle
 * until the virtual time passes it), so a client with nothing queued goes to the front
 * and one with a backlog waits behind it. Tasks of one flow keep their order. A priority
 * moves a task ahead by {@link BatchingOptions#priorityLead()} per step: a bounded lead,
 * so that no priority starves the others.
 */
final class FairShare {

	private final String queue;

	private final BatchingOptions options;

	private final IntSupplier parallelism;

	private volatile BatchCostModel costModel = BatchCostModel.DEFAULT;

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

	private final RunCalibration calibration = new RunCalibration();

	/**
	 * @param queue the queue's name, for refusals
	 * @param parallelism how many batches run side by side
	 */
	FairShare(String queue, BatchingOptions options, IntSupplier parallelism) {
		this.queue = queue;
		this.options = options;
		this.parallelism = parallelism;
	}

	/**
	 * Predicts the tasks' wait, refuses them if it is too long, else tags them into their
	 * flow. The check and the tagging are atomic per flow; flows are summed without a
	 * lock, so concurrent requests of other flows may overshoot the bound by their own
	 * work.
	 */
	void admit(List<? extends BatchTask<?, ?>> tasks, long now) {
		BatchCostModel cost = this.costModel;
		double correction = calibration();
		long own = 0;
		long queueLimit = (this.options.maxQueueTime().isZero()) ? Long.MAX_VALUE
				: this.options.maxQueueTime().toNanos();
		long deadlineLimit = Long.MAX_VALUE;
		int size = tasks.size();
		int longest = tasks.stream().mapToInt(BatchTask::length).max().orElse(1);
		int firstBatch = Math.min(size, this.options.rowsFitting(this.options.paddedLength(longest)));
		long ownFirst = 0;
		for (int i = 0; i < size; i++) {
			BatchTask<?, ?> task = tasks.get(i);
			task.workNanos = Math.round(correction * cost.taskNanos(task.length(),
					this.options.paddedLength(task.length()), this.options.maxBatchSize()));
			own += task.workNanos;
			ownFirst += (i < firstBatch) ? task.workNanos : 0;
			deadlineLimit = Math.min(deadlineLimit, task.deadlineNanos() - now);
		}
		String key = tasks.get(0).flow();
		while (true) {
			Flow flow = this.flows.computeIfAbsent(key, (name) -> new Flow());
			synchronized (flow) {
				if (flow.gone) {
					continue;
				}
				long tag = Math.max(this.virtualTime, flow.lastFinish);
				// The queue time bounds the wait for others up to the last task of the
				// request's first batch; its deadline bounds the start of its last task,
				// behind its own earlier batches too (see the class comment).
				long first = predictWait(flow, tag + ownFirst - ownFirst / firstBatch, 0);
				long last = (size == firstBatch) ? first
						: predictWait(flow, tag + own - own / size, own * (size - firstBatch) / size);
				if (first > Math.min(queueLimit, deadlineLimit) || last > deadlineLimit) {
					if (flow.tasks == 0 && flow.lastFinish - this.virtualTime <= 0) {
						forget(key, flow);
					}
					throw (first > Math.min(queueLimit, deadlineLimit))
							? overloaded(first, Math.min(queueLimit, deadlineLimit), deadlineLimit < queueLimit)
							: overloaded(last, deadlineLimit, true);
				}
				long leadPerStep = this.options.priorityLead().toNanos();
				for (BatchTask<?, ?> task : tasks) {
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
		return ahead / Math.max(1, this.parallelism.getAsInt());
	}

	private BatchingException.Overloaded overloaded(long predicted, long limit, boolean byDeadline) {
		long excessSeconds = Math.max(1, (predicted - limit + 999_999_999) / 1_000_000_000);
		return new BatchingException.Overloaded(this.queue, Duration.ofNanos(predicted), Duration.ofNanos(limit),
				byDeadline, Duration.ofSeconds(excessSeconds));
	}

	/** A task left the queue (dispatched or dropped): its work leaves its flow. */
	void leave(BatchTask<?, ?> task) {
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

	/** A batch's run is over: its work leaves the running work, its time calibrates. */
	void finished(Batch<?, ?> batch, int rowsRun, long nanos) {
		this.runningWork.addAndGet(-batch.workNanos());
		if (rowsRun > 0) {
			BatchCostModel cost = this.costModel;
			double predicted = cost.nanos(rowsRun, batch.paddedLength(), batch.tokens() * rowsRun / batch.size());
			if (predicted > 0) {
				this.calibration.add(nanos / predicted);
			}
		}
	}

	/** Measured over predicted run time of recent batches (1 until a batch ran). */
	public double calibration() {
		return this.calibration.value();
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
			throw overloaded(predicted, limit, false);
		}
	}

	/**
	 * The wait a new request of one text at the longest allowed length from a client with
	 * nothing queued would be predicted, now.
	 */
	public Duration predictedWait() {
		BatchCostModel cost = this.costModel;
		List<Integer> lengths = this.options.allowedLengths();
		int longest = lengths.get(lengths.size() - 1);
		long one = Math.round(calibration() * cost.taskNanos(longest, longest, this.options.maxBatchSize()));
		return Duration.ofNanos(predictWait(null, this.virtualTime, one));
	}

	/**
	 * A batch leaves the queue for a runner: its tasks leave their flows, its work starts
	 * running, and the virtual time moves to the earliest start tag in it. On the
	 * scheduler's thread.
	 * @return the batch's predicted work
	 */
	long dispatched(List<? extends BatchTask<?, ?>> tasks) {
		long work = 0;
		long earliestStart = Long.MAX_VALUE;
		for (BatchTask<?, ?> task : tasks) {
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
		this.runningWork.addAndGet(work);
		return work;
	}

	/** Replaces the cost estimate (measured at warm-up). */
	void costModel(BatchCostModel costModel) {
		this.costModel = costModel;
	}

	BatchCostModel costModel() {
		return this.costModel;
	}

}
