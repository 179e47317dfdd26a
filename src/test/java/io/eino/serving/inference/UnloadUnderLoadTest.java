package io.eino.serving.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.model.PublishedVersion;
import io.eino.serving.plugin.Plugins;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.ratelimit.ClientRateLimiters;
import io.eino.serving.ratelimit.RateLimitProperties;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.ValidationProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The serving version is replaced and unloaded in a tight loop while unpinned requests
 * run: a request leases its version once (docs/architecture.md, "Request path"), so none
 * is answered 404 for a version that went away under it, and none uses a version after it
 * was closed. The versions are stand-ins that answer at once, so that thousands of swaps
 * happen in seconds; the real model's swaps are the lifecycle tests'.
 */
class UnloadUnderLoadTest {

	private static final String MODEL = "swapped";

	@Test
	void unpinnedRequestsNeverSeeAVersionThatWentAway() throws Exception {
		ModelRegistry registry = new ModelRegistry();
		registry.register(MODEL);
		registry.publish(new InstantVersion(1));
		InferenceService service = new InferenceService(registry, Schedulers.boundedElastic(), Duration.ofSeconds(5),
				new InputPolicies(
						new ValidationProperties(DataSize.ofMegabytes(1), 64, 1024, List.of("[<>]"), true, 32, 0.5),
						Map.of()),
				new Plugins(List.of()), new ClientRateLimiters(RateLimiterRegistry.ofDefaults(),
						new RateLimitProperties(false, 100), System::nanoTime),
				CircuitBreakerRegistry.ofDefaults(), Map.of(), new SimpleMeterRegistry());
		RequestOptions options = new RequestOptions(null, BatchTask.NORMAL_PRIORITY, "client", null, "");
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicLong answered = new AtomicLong();
		AtomicLong notFound = new AtomicLong();
		ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
		List<Thread> clients = new ArrayList<>();
		for (int i = 0; i < 8; i++) {
			Thread client = new Thread(() -> {
				while (running.get()) {
					try {
						TextResult result = service.predictText(MODEL, null, List.of("A fine film"), options)
							.block(Duration.ofSeconds(10));
						assertThat(result.predictions()).hasSize(1);
						answered.incrementAndGet();
					}
					catch (ModelNotFoundException ex) {
						notFound.incrementAndGet();
					}
					catch (Throwable ex) {
						failures.add(ex);
					}
				}
			});
			clients.add(client);
			client.start();
		}
		// A new version every 100 µs; the old one is unloaded (drained, then closed) on
		// other threads, so that swaps do not wait for drains.
		ExecutorService unloaders = Executors.newFixedThreadPool(16);
		long swaps = 0;
		long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
		for (long version = 1; System.nanoTime() < end; version++) {
			registry.publish(new InstantVersion(version + 1));
			long unloaded = version;
			unloaders.execute(() -> registry.unload(MODEL, unloaded));
			swaps++;
			long next = System.nanoTime() + 100_000;
			while (System.nanoTime() < next) {
				Thread.onSpinWait();
			}
		}
		running.set(false);
		for (Thread client : clients) {
			client.join(10_000);
		}
		unloaders.shutdown();
		assertThat(unloaders.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
		assertThat(failures).isEmpty();
		assertThat(notFound).as("requests answered 404 for a version unloaded under them").hasValue(0);
		assertThat(swaps).isGreaterThan(1000);
		assertThat(answered).hasValueGreaterThan(1000);
		assertThat(InstantVersion.usedAfterClose).as("versions used after they were closed").hasValue(0);
	}

	/** A version whose texts complete at once, on another thread, as a runner would. */
	private static final class InstantVersion implements PublishedVersion {

		static final AtomicInteger usedAfterClose = new AtomicInteger();

		private final long version;

		private final AtomicInteger leases = new AtomicInteger();

		private volatile boolean closed;

		InstantVersion(long version) {
			this.version = version;
		}

		@Override
		public String model() {
			return MODEL;
		}

		@Override
		public long version() {
			return this.version;
		}

		@Override
		public ModelDescriptor descriptor() {
			throw new UnsupportedOperationException();
		}

		@Override
		public List<BatchTask<TokenSequence, float[]>> submit(List<String> texts, long deadlineNanos, int priority,
				String client) {
			if (this.closed) {
				usedAfterClose.incrementAndGet();
			}
			List<BatchTask<TokenSequence, float[]>> tasks = new ArrayList<>();
			for (String text : texts) {
				BatchTask<TokenSequence, float[]> task = new BatchTask<>(null, 1, deadlineNanos, priority, client);
				CompletableFuture.runAsync(() -> task.result().complete(new float[] { 0.1f, 0.9f }));
				tasks.add(task);
			}
			return tasks;
		}

		@Override
		public TextPrediction prediction(float[] row) {
			if (this.closed) {
				usedAfterClose.incrementAndGet();
			}
			return new TextPrediction.Classification("positive", row[1], Map.of("negative", 0.1, "positive", 0.9));
		}

		@Override
		public void checkDoor(String client) {
		}

		@Override
		public List<SignatureSpec> signatures() {
			return List.of();
		}

		@Override
		public SignatureSpec signature(String key) {
			return null;
		}

		@Override
		public Map<String, HostTensor> run(String signature, Map<String, HostTensor> inputs, List<String> outputs) {
			throw new UnsupportedOperationException();
		}

		@Override
		public OptimizationReport optimization() {
			throw new UnsupportedOperationException();
		}

		@Override
		public BatchingOptions batchingOptions() {
			throw new UnsupportedOperationException();
		}

		@Override
		public int instances() {
			return 1;
		}

		@Override
		public void acquire() {
			this.leases.incrementAndGet();
		}

		@Override
		public void release() {
			this.leases.decrementAndGet();
		}

		@Override
		public int inFlight() {
			return this.leases.get();
		}

		@Override
		public Duration drainTimeout() {
			return Duration.ofSeconds(10);
		}

		@Override
		public void close() {
			this.closed = true;
		}

	}

}
