package io.eino.serving.runtime;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * What the runners of one model version report, with queue wait and compute apart (as
 * Triton does; docs/operations.md lists them): {@code eino.queue.duration},
 * {@code eino.compute.duration}, {@code eino.executions} (session runs) and
 * {@code eino.inferences} (rows run), so that batch fill is their ratio;
 * {@code eino.runner.busy.ratio}; {@code eino.batch.size},
 * {@code eino.batch.padded.length}, {@code eino.batch.fill} (real tokens over padded
 * positions), {@code eino.batch.tokens} and {@code eino.batch.positions} (real tokens and
 * padded positions run, so that the padded share is one less their ratio). Tagged by
 * model and version only.
 */
public final class BatchMetrics {

	private final DistributionSummary batchSize;

	private final DistributionSummary paddedLength;

	private final DistributionSummary fill;

	private final Timer queueDuration;

	private final Timer computeDuration;

	private final Counter tokens;

	private final Counter positions;

	private final Counter executions;

	private final Counter inferences;

	private final BusyRatio busy;

	private final Gauge busyRatio;

	private final String model;

	private final long version;

	private final BatchObserver observer;

	/**
	 * @param runners how many sessions run batches side by side
	 * @param observer told about every batch run
	 */
	public BatchMetrics(MeterRegistry registry, String model, long version, int runners, BatchObserver observer) {
		this(registry, model, version, runners, observer, System::nanoTime);
	}

	BatchMetrics(MeterRegistry registry, String model, long version, int runners, BatchObserver observer,
			LongSupplier clock) {
		this.model = model;
		this.version = version;
		this.observer = observer;
		Tags tags = Tags.of("model", model, "version", Long.toString(version));
		this.batchSize = DistributionSummary.builder("eino.batch.size")
			.description("Rows per session run")
			.tags(tags)
			.serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
			.register(registry);
		this.paddedLength = DistributionSummary.builder("eino.batch.padded.length")
			.description("Length each batch was padded to")
			.tags(tags)
			.register(registry);
		this.fill = DistributionSummary.builder("eino.batch.fill")
			.description("Real tokens over padded positions per batch")
			.tags(tags)
			.register(registry);
		this.queueDuration = Timer.builder("eino.queue.duration")
			.description("Time from admission to the start of the text's session run")
			.tags(tags)
			.register(registry);
		this.computeDuration = Timer.builder("eino.compute.duration")
			.description("Time of one batch on a runner: padding, session run, splitting")
			.tags(tags)
			.register(registry);
		this.tokens = Counter.builder("eino.batch.tokens").description("Real tokens run").tags(tags).register(registry);
		this.positions = Counter.builder("eino.batch.positions")
			.description("Positions run, padding included (rows × padded length)")
			.tags(tags)
			.register(registry);
		this.executions = Counter.builder("eino.executions")
			.description("Session runs (batches)")
			.tags(tags)
			.register(registry);
		this.inferences = Counter.builder("eino.inferences")
			.description("Rows run (texts); over eino.executions, the mean batch size")
			.tags(tags)
			.register(registry);
		this.busy = new BusyRatio(runners, clock);
		this.busyRatio = Gauge.builder("eino.runner.busy.ratio", this.busy, BusyRatio::ratio)
			.description("Share of the runners' time spent running batches, over the last seconds")
			.tags(tags)
			.register(registry);
	}

	/** Its meters, for removal when the version is retired. */
	public List<Meter> meters() {
		return List.of(this.batchSize, this.paddedLength, this.fill, this.queueDuration, this.computeDuration,
				this.tokens, this.positions, this.executions, this.inferences, this.busyRatio);
	}

	void queued(long waitNanos) {
		this.queueDuration.record(waitNanos, TimeUnit.NANOSECONDS);
	}

	void ran(int rows, int paddedLength, long realTokens, long computeNanos) {
		this.batchSize.record(rows);
		this.paddedLength.record(paddedLength);
		this.fill.record((double) realTokens / ((long) rows * paddedLength));
		this.tokens.increment(realTokens);
		this.positions.increment((double) rows * paddedLength);
		this.executions.increment();
		this.inferences.increment(rows);
		this.computeDuration.record(computeNanos, TimeUnit.NANOSECONDS);
	}

	/** Tells the observer about a batch run. */
	void observe(List<? extends io.eino.serving.batching.BatchTask<?, ?>> tasks, long startNanos, long endNanos,
			Throwable failure) {
		if (!tasks.isEmpty()) {
			this.observer.ran(this.model, this.version, tasks, startNanos, endNanos, failure);
		}
	}

	/** A runner was busy for {@code nanos} (a batch, whether it succeeded or not). */
	void busy(long nanos) {
		this.busy.add(nanos);
	}

}
