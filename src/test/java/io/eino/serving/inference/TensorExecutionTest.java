package io.eino.serving.inference;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.error.Rule;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.StubVersion;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.validation.InvalidInputException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A raw-tensor request runs on the version whose signature it was checked against: the
 * lease taken when the request is resolved is held until its run is over, even when a new
 * version is published before the run starts on the tensor threads, and it is released
 * exactly once, cancelled or not. The tensor threads are held shut by the test, so that
 * "before the run starts" is a fact, not a race.
 */
class TensorExecutionTest {

	private static final String MODEL = "swapped";

	private static final Map<String, HostTensor> TOKENS = Map.of("input_ids", ids(), "attention_mask", ids(),
			"token_type_ids", ids());

	private static final RequestOptions OPTIONS = new RequestOptions(null, BatchTask.NORMAL_PRIORITY, "client", null,
			"");

	private final ModelRegistry registry = new ModelRegistry();

	private final StubVersion first = new StubVersion(MODEL, 1);

	private final ExecutorService runners = Executors.newSingleThreadExecutor();

	private final CountDownLatch open = new CountDownLatch(1);

	private TensorExecution execution;

	@BeforeEach
	void firstVersionServesAndTheRunnersAreHeld() {
		this.registry.register(MODEL);
		this.registry.publish(this.first);
		this.runners.submit(() -> {
			this.open.await();
			return null;
		});
		this.first.runsOn(this.runners);
		this.execution = new TensorExecution(Duration.ofSeconds(5), Schedulers.immediate());
	}

	@AfterEach
	void stop() {
		this.open.countDown();
		this.runners.shutdownNow();
	}

	@Test
	void aVersionPublishedBetweenResolutionAndRunDoesNotRunTheRequest() throws Exception {
		Future<TensorResult> result = request(TOKENS).toFuture();
		StubVersion second = new StubVersion(MODEL, 2);
		this.registry.publish(second);
		assertThat(this.first.inFlight()).as("the resolved version stays leased until its run").isEqualTo(1);
		this.open.countDown();
		assertThat(result.get(5, TimeUnit.SECONDS).version()).isEqualTo(1);
		assertThat(this.first.inFlight()).isZero();
		assertThat(second.inFlight()).isZero();
	}

	@Test
	void aRequestCancelledBeforeItsRunReleasesItsLeaseOnce() throws Exception {
		Disposable request = request(TOKENS).subscribe();
		assertThat(this.first.inFlight()).isEqualTo(1);
		request.dispose();
		assertThat(this.first.inFlight()).isZero();
		this.open.countDown();
		this.runners.shutdown();
		assertThat(this.runners.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
		assertThat(this.first.inFlight()).as("released once, not again when the held run comes").isZero();
	}

	@Test
	void textsSentAsNumbersAreRefusedForTheirDatatypeNotTheirName() {
		HostTensor numbers = new HostTensor.Float32(new long[] { 1 }, new float[] { 0.5f });
		assertThatThrownBy(() -> request(Map.of("text", numbers)).block(Duration.ofSeconds(5)))
			.isInstanceOfSatisfying(InvalidInputException.class, (refused) -> {
				assertThat(refused.rule()).isEqualTo(Rule.INPUT_DATATYPE);
				assertThat(refused.getMessage()).contains("'text'", "BYTES", "FP32");
			});
		assertThat(this.first.inFlight()).as("the refusal releases its lease").isZero();
	}

	/**
	 * A request as {@link InferenceService#resolved} runs it: resolved when subscribed,
	 * its own hold let go of when it ends or is cancelled.
	 */
	private Mono<TensorResult> request(Map<String, HostTensor> inputs) {
		return Mono.using(
				() -> new ResolvedRequest(this.registry.lease(MODEL, null), false), (resolved) -> this.execution
					.execute(resolved, resolved.signature("serving_default"), inputs, List.of(), OPTIONS),
				ResolvedRequest::release);
	}

	private static HostTensor ids() {
		return new HostTensor.Int64(new long[] { 1, 4 }, new long[] { 101, 2023, 2003, 102 });
	}

}
