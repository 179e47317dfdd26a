package io.eino.serving.model.loading;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.eino.serving.TensorModels;
import io.eino.serving.TestTags;
import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.runtime.BatchMetrics;
import io.eino.serving.runtime.BatchObserver;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.RunnerPool;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Raw-tensor requests of a batchable signature share one run: their rows are joined, run
 * once on a real session and split back to each request; a request whose values
 * TensorFlow refuses fails alone. The scheduler is a puppet on a fake clock.
 */
@Tag(TestTags.TENSORFLOW)
class TensorBatchesTest {

	private static final Path REPOSITORY = Path.of("target", "tensor-models").toAbsolutePath();

	private static SavedModelRunner pixels;

	private static SavedModelRunner mixed;

	private final AtomicLong clock = new AtomicLong();

	private final BatchScheduler scheduler = BatchScheduler.puppet(this.clock::get);

	private final BatchingOptions options = new BatchingOptions(8, Duration.ofMillis(2), 64, List.of(1));

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	@BeforeAll
	static void load() {
		TensorModels.install(REPOSITORY);
		pixels = SavedModelRunner.load(REPOSITORY.resolve(TensorModels.PIXELS + "/1"), SessionSettings.DEFAULT);
		mixed = SavedModelRunner.load(REPOSITORY.resolve(TensorModels.MIXED + "/1"), SessionSettings.DEFAULT);
	}

	/**
	 * The version's runners over {@code session}, which they leave open (the tests share
	 * it).
	 */
	private RunnerPool<TensorRowRun.Row, Map<String, HostTensor>> runners(SavedModelRunner session) {
		RunnerPool<TensorRowRun.Row, Map<String, HostTensor>> pool = new RunnerPool<>(List.of(session),
				TensorRowRun::new, true, "tensors", 1,
				new BatchMetrics(this.meters, "tensors", 1, 1, BatchObserver.NONE), this.clock::get);
		pool.onBatchDone(this.scheduler::wakeUp);
		return pool;
	}

	/** Session runs so far, from the runners' own meter. */
	private double batchesRun() {
		return this.meters.get("eino.executions").counter().count();
	}

	@AfterAll
	static void close() {
		pixels.close();
		mixed.close();
	}

	@Test
	void batchableSignaturesAreThoseWhoseFirstDimensionIsTheBatch() {
		try (TensorBatches batches = new TensorBatches("pixels", 1, runners(pixels), this.scheduler, this.options)) {
			assertThat(batches.batched()).containsExactlyInAnyOrder("serving_default", "grayscale");
		}
	}

	@Test
	void requestsShareOneRunAndGetTheirOwnRows() throws Exception {
		try (TensorBatches batches = new TensorBatches("pixels", 1, runners(pixels), this.scheduler, this.options)) {
			CompletableFuture<Map<String, HostTensor>> one = batches.submit("serving_default",
					Map.of("image", images(0.25f)), List.of(), Long.MAX_VALUE, 0, "a");
			CompletableFuture<Map<String, HostTensor>> two = batches.submit("serving_default",
					Map.of("image", images(0.75f, 0.5f)), List.of("brightness"), Long.MAX_VALUE, 0, "b");
			this.clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(3));
			this.scheduler.step();
			assertThat(((HostTensor.Float32) one.get(10, TimeUnit.SECONDS).get("brightness")).values())
				.containsExactly(0.25f);
			assertThat(((HostTensor.Bool) one.get().get("bright")).values()).containsExactly(false);
			assertThat(two.get(10, TimeUnit.SECONDS)).containsOnlyKeys("brightness");
			assertThat(((HostTensor.Float32) two.get().get("brightness")).values()).containsExactly(0.75f, 0.5f);
			assertThat(two.get().get("brightness").shape()).containsExactly(2);
			assertThat(batchesRun()).isEqualTo(1);
		}
	}

	@Test
	void aRequestTensorFlowRefusesFailsAloneAndTheOthersAreAnswered() throws Exception {
		try (TensorBatches batches = new TensorBatches("mixed", 1, runners(mixed), this.scheduler, this.options)) {
			assertThat(batches.batched()).contains("regress");
			CompletableFuture<Map<String, HostTensor>> good = batches.submit("regress",
					Map.of("inputs", strings(example(2f))), List.of(), Long.MAX_VALUE, 0, "a");
			CompletableFuture<Map<String, HostTensor>> bad = batches.submit("regress",
					Map.of("inputs", strings("not a tf.Example".getBytes(StandardCharsets.UTF_8))), List.of(),
					Long.MAX_VALUE, 0, "b");
			this.clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(3));
			this.scheduler.step();
			assertThat(((HostTensor.Float32) good.get(10, TimeUnit.SECONDS).get("outputs")).values())
				.containsExactly(7f);
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> bad.get(10, TimeUnit.SECONDS));
		}
	}

	@Test
	void aCancelledRequestsRowsAreDropped() throws Exception {
		try (TensorBatches batches = new TensorBatches("pixels", 1, runners(pixels), this.scheduler, this.options)) {
			CompletableFuture<Map<String, HostTensor>> cancelled = batches.submit("serving_default",
					Map.of("image", images(0.25f)), List.of(), Long.MAX_VALUE, 0, "a");
			cancelled.cancel(false);
			this.clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(3));
			this.scheduler.step();
			Thread.sleep(200);
			assertThat(batchesRun()).isZero();
		}
	}

	private static HostTensor images(float... brightness) {
		float[] values = new float[brightness.length * 48];
		for (int i = 0; i < brightness.length; i++) {
			Arrays.fill(values, i * 48, (i + 1) * 48, brightness[i]);
		}
		return new HostTensor.Float32(new long[] { brightness.length, 4, 4, 3 }, values);
	}

	private static HostTensor strings(byte[]... values) {
		return new HostTensor.Bytes(new long[] { values.length }, values);
	}

	private static byte[] example(float x) {
		return org.tensorflow.example.Example.newBuilder()
			.setFeatures(org.tensorflow.example.Features.newBuilder()
				.putFeature("x",
						org.tensorflow.example.Feature.newBuilder()
							.setFloatList(org.tensorflow.example.FloatList.newBuilder().addValue(x))
							.build()))
			.build()
			.toByteArray();
	}

}
