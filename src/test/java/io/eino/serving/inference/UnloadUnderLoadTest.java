package io.eino.serving.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.StubVersion;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.ValidationProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The serving version is replaced and unloaded in a tight loop while unpinned requests
 * run: a request leases its version once (docs/architecture.md, "Request path"), so none
 * is answered 404 for a version that went away under it, and none uses a version after it
 * was closed. The versions are stand-ins ({@link StubVersion}) that answer at once, so
 * that thousands of swaps happen in seconds; the real model's swaps are the lifecycle
 * tests'.
 */
class UnloadUnderLoadTest {

	private static final String MODEL = "swapped";

	@Test
	void unpinnedRequestsNeverSeeAVersionThatWentAway() throws Exception {
		ModelRegistry registry = new ModelRegistry();
		registry.register(MODEL);
		List<StubVersion> versions = new ArrayList<>();
		versions.add(new StubVersion(MODEL, 1));
		registry.publish(versions.get(0));
		InferenceService service = TestInference.service(registry,
				new InputPolicies(
						new ValidationProperties(DataSize.ofMegabytes(1), 64, 1024, List.of("[<>]"), true, 32, 0.5),
						Map.of()),
				new SimpleMeterRegistry());
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
						TextResult result = service
							.resolved(MODEL, null,
									(request) -> service.predictText(request, List.of("A fine film"), options))
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
			StubVersion successor = new StubVersion(MODEL, version + 1);
			versions.add(successor);
			registry.publish(successor);
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
		assertThat(versions.stream().mapToInt(StubVersion::usedAfterClose).sum())
			.as("uses of versions after they were closed")
			.isZero();
	}

}
