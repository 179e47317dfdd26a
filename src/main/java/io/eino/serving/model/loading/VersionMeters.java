package io.eino.serving.model.loading;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.eino.serving.batching.BatchQueue;
import io.eino.serving.runtime.BatchMetrics;
import io.eino.serving.runtime.BatchObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The meters of each model version, shared by every build of that version that is alive
 * at once (a reload builds the same version number again while the old build still
 * serves), and removed from the registry when the last one closes, so that retired
 * versions leave no meters behind. {@code eino.queue.depth} sums the queues of the live
 * builds.
 */
final class VersionMeters {

	private final MeterRegistry registry;

	private final Map<String, Entry> entries = new HashMap<>();

	private final BatchObserver observer;

	VersionMeters(MeterRegistry registry, BatchObserver observer) {
		this.registry = registry;
		this.observer = observer;
	}

	private static final class Entry {

		private final BatchMetrics metrics;

		private final Set<BatchQueue<?, ?>> queues;

		private final List<Meter> gauges;

		private int references;

		private Entry(BatchMetrics metrics, Set<BatchQueue<?, ?>> queues, List<Meter> gauges) {
			this.metrics = metrics;
			this.queues = queues;
			this.gauges = gauges;
		}

	}

	/**
	 * Takes a reference to a version's meters, creating them for its first build.
	 * @param runners the build's runner sessions (the busy ratio's denominator)
	 */
	synchronized Lease acquire(String model, long version, int runners) {
		String key = model + "@" + version;
		Entry entry = this.entries.get(key);
		if (entry == null) {
			Set<BatchQueue<?, ?>> queues = ConcurrentHashMap.newKeySet();
			String versionTag = Long.toString(version);
			List<Meter> gauges = List.of(
					Gauge.builder("eino.queue.depth", queues, VersionMeters::depth)
						.description("Texts admitted and waiting for a batch")
						.tags("model", model, "version", versionTag)
						.register(this.registry),
					Gauge.builder("eino.queue.predicted.wait", queues, VersionMeters::predictedWaitSeconds)
						.description("Predicted wait of one text from a client with nothing queued (admission)")
						.baseUnit("seconds")
						.tags("model", model, "version", versionTag)
						.register(this.registry),
					Gauge.builder("eino.queue.calibration", queues, VersionMeters::calibration)
						.description("Measured over predicted run time of recent batches")
						.tags("model", model, "version", versionTag)
						.register(this.registry));
			entry = new Entry(new BatchMetrics(this.registry, model, version, runners, this.observer), queues, gauges);
			this.entries.put(key, entry);
		}
		entry.references++;
		return new Lease(key, entry);
	}

	private static double depth(Set<BatchQueue<?, ?>> queues) {
		return queues.stream().mapToInt(BatchQueue::depth).sum();
	}

	private static double predictedWaitSeconds(Set<BatchQueue<?, ?>> queues) {
		return queues.stream().mapToDouble((queue) -> queue.predictedWait().toNanos() / 1e9).max().orElse(0);
	}

	private static double calibration(Set<BatchQueue<?, ?>> queues) {
		return queues.stream().mapToDouble(BatchQueue::calibration).max().orElse(1);
	}

	private synchronized void release(String key, Entry entry) {
		if (--entry.references == 0) {
			this.entries.remove(key);
			entry.gauges.forEach(this.registry::remove);
			entry.metrics.meters().forEach(this.registry::remove);
		}
	}

	/** One build's reference to its version's meters. */
	final class Lease implements AutoCloseable {

		private final String key;

		private final Entry entry;

		private final List<BatchQueue<?, ?>> queues = new CopyOnWriteArrayList<>();

		private boolean closed;

		private Lease(String key, Entry entry) {
			this.key = key;
			this.entry = entry;
		}

		BatchMetrics metrics() {
			return this.entry.metrics;
		}

		/** Counts {@code queue} in the version's queue gauges until the lease closes. */
		void track(BatchQueue<?, ?> queue) {
			this.queues.add(queue);
			this.entry.queues.add(queue);
		}

		@Override
		public void close() {
			synchronized (VersionMeters.this) {
				if (this.closed) {
					return;
				}
				this.closed = true;
			}
			this.queues.forEach(this.entry.queues::remove);
			release(this.key, this.entry);
		}

	}

}
