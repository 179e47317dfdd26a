package io.eino.serving.inference;

import java.util.List;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.model.SubmittedTexts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServingMetersTest {

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	private final ServingMeters meters = new ServingMeters(this.registry, "live"::equals);

	@Test
	void aRequestIsPendingUntilAllItsTextsStarted() {
		List<BatchTask<String, float[]>> tasks = List.of(task(), task());
		Runnable end = this.meters.pending("live", new SubmittedTexts(tasks));
		assertThat(pending("live")).isEqualTo(1);
		tasks.get(0).markStarted(2, 1000);
		assertThat(pending("live")).isEqualTo(1);
		tasks.get(1).markStarted(2, 1000);
		assertThat(pending("live")).isZero();
		// The request's end after its start changes nothing.
		end.run();
		assertThat(pending("live")).isZero();
	}

	@Test
	void aRequestThatEndsBeforeItsTextsStartLeavesTheGaugeOnce() {
		List<BatchTask<String, float[]>> tasks = List.of(task(), task());
		Runnable end = this.meters.pending("live", new SubmittedTexts(tasks));
		end.run();
		end.run();
		assertThat(pending("live")).isZero();
		tasks.get(0).markStarted(1, 1);
		tasks.get(1).markStarted(1, 1);
		assertThat(pending("live")).isZero();
	}

	@Test
	void aModelThatIsNotServedIsCountedAsUnknown() {
		this.meters.pending("made-up", new SubmittedTexts(List.of(task())));
		assertThat(pending("unknown")).isEqualTo(1);
		assertThat(this.registry.find("eino.pending.requests").tag("model", "made-up").gauge()).isNull();
	}

	private double pending(String model) {
		return this.registry.get("eino.pending.requests").tag("model", model).gauge().value();
	}

	private static BatchTask<String, float[]> task() {
		return new BatchTask<>("text", 4, System.nanoTime() + 1_000_000_000L, BatchTask.NORMAL_PRIORITY);
	}

}
