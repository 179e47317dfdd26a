package io.eino.serving.batching;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that forms batches for every queue (one queue per model version), in the
 * manner of TensorFlow Serving's shared batch scheduler. It never runs a batch itself: it
 * hands closed batches to each queue's {@link BatchProcessor}.
 *
 * <p>
 * Latency contract: a task waits in its queue at most
 * {@link BatchingOptions#maxQueueDelay()} plus the time until a runner of its version is
 * free; it is dropped at its deadline if it has not started by then.
 *
 * <p>
 * The clock is injected. {@link #puppet(LongSupplier)} makes a scheduler without a
 * thread, driven by calling {@link #step()}, for tests.
 */
public final class BatchScheduler implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(BatchScheduler.class);

	/** A pass at least this often, whatever happens, to keep deadlines honest. */
	private static final long MAX_PARK_NANOS = 50_000_000;

	private final LongSupplier clock;

	private final List<BatchQueue<?, ?>> queues = new CopyOnWriteArrayList<>();

	/** Where the next pass starts; the scheduler's thread only. */
	private int turn;

	private final Thread thread;

	private volatile boolean running = true;

	private BatchScheduler(LongSupplier clock, String threadName) {
		this.clock = clock;
		if (threadName != null) {
			this.thread = new Thread(this::loop, threadName);
			this.thread.setDaemon(true);
			this.thread.start();
		}
		else {
			this.thread = null;
		}
	}

	/** A scheduler on the system clock with its own thread. */
	public static BatchScheduler start(String threadName) {
		return new BatchScheduler(System::nanoTime, threadName);
	}

	/** A scheduler without a thread: nothing happens until {@link #step()} is called. */
	public static BatchScheduler puppet(LongSupplier clock) {
		return new BatchScheduler(clock, null);
	}

	/** Adds a queue feeding {@code processor}; it is dropped once closed and drained. */
	public <I, O> BatchQueue<I, O> addQueue(String name, BatchingOptions options, BatchProcessor<I, O> processor) {
		BatchQueue<I, O> queue = new BatchQueue<>(name, options, processor, this.clock, this::wakeUp);
		this.queues.add(queue);
		return queue;
	}

	/** Asks for a pass now: a task arrived or a runner became free. Never blocks. */
	public void wakeUp() {
		if (this.thread != null) {
			LockSupport.unpark(this.thread);
		}
	}

	/**
	 * One pass over every queue, each pass starting one queue further on, so that queues
	 * sharing one processor (the signatures of one version) take its free runners in
	 * turn.
	 * @return nanoseconds until the next pass is needed if nothing wakes the scheduler
	 */
	public long step() {
		long now = this.clock.getAsLong();
		long next = Long.MAX_VALUE;
		List<BatchQueue<?, ?>> queues = List.copyOf(this.queues);
		int first = queues.isEmpty() ? 0 : Math.floorMod(this.turn++, queues.size());
		for (int i = 0; i < queues.size(); i++) {
			BatchQueue<?, ?> queue = queues.get((first + i) % queues.size());
			try {
				next = Math.min(next, queue.poll(now));
			}
			catch (RuntimeException ex) {
				logger.error("Batching for {} failed", queue.name(), ex);
			}
			if (queue.isDrained()) {
				this.queues.remove(queue);
			}
		}
		return next;
	}

	private void loop() {
		while (this.running) {
			long next = step();
			if (next > 0) {
				LockSupport.parkNanos(this, Math.min(next, MAX_PARK_NANOS));
			}
		}
	}

	@Override
	public void close() {
		this.running = false;
		wakeUp();
	}

}
