package io.eino.serving.runtime;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * What the runners of one model version report, with queue wait and compute apart (as
 * Triton does): {@code eino.batch.size}, {@code eino.batch.padded.length},
 * {@code eino.batch.fill} (real tokens over padded positions), {@code eino.queue.wait},
 * {@code eino.compute}, {@code eino.batch.tokens}. Tagged by model and version only.
 */
public final class BatchMetrics {

	private final DistributionSummary batchSize;

	private final DistributionSummary paddedLength;

	private final DistributionSummary fill;

	private final Timer queueWait;

	private final Timer compute;

	private final Counter tokens;

	public BatchMetrics(MeterRegistry registry, String model, long version) {
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
		this.queueWait = Timer.builder("eino.queue.wait")
			.description("Time from admission to the start of the task's session run")
			.tags(tags)
			.publishPercentileHistogram()
			.register(registry);
		this.compute = Timer.builder("eino.compute")
			.description("Time of one batch on a runner: padding, session run, splitting")
			.tags(tags)
			.publishPercentileHistogram()
			.register(registry);
		this.tokens = Counter.builder("eino.batch.tokens").description("Real tokens run").tags(tags).register(registry);
	}

	/** Its meters, for removal when the version is retired. */
	public List<Meter> meters() {
		return List.of(this.batchSize, this.paddedLength, this.fill, this.queueWait, this.compute, this.tokens);
	}

	void queued(long waitNanos) {
		this.queueWait.record(waitNanos, TimeUnit.NANOSECONDS);
	}

	void ran(int rows, int paddedLength, long realTokens, long computeNanos) {
		this.batchSize.record(rows);
		this.paddedLength.record(paddedLength);
		this.fill.record((double) realTokens / ((long) rows * paddedLength));
		this.tokens.increment(realTokens);
		this.compute.record(computeNanos, TimeUnit.NANOSECONDS);
	}

}
