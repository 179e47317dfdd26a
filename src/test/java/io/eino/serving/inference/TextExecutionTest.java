package io.eino.serving.inference;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.error.Rule;
import io.eino.serving.model.ModelFailureException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServedModels;
import io.eino.serving.model.StubVersion;
import io.eino.serving.plugin.TextPrediction;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The text execution's deciding logic, over stub versions and without threads: a request
 * runs on its resolved version; when that version fails, an unpinned request degrades to
 * the highest older loaded version, then to the model's fallback answer, and a pinned one
 * fails as it is; every lease is released.
 */
class TextExecutionTest {

	private static final String MODEL = "reviews";

	private static final RequestOptions OPTIONS = new RequestOptions(null, BatchTask.NORMAL_PRIORITY, "client", null,
			"");

	private final ModelRegistry registry = new ModelRegistry();

	private final StubVersion older = new StubVersion(MODEL, 1);

	private final StubVersion newer = new StubVersion(MODEL, 2);

	TextExecutionTest() {
		this.registry.register(MODEL);
		this.registry.publish(this.older);
		this.registry.publish(this.newer);
	}

	@Test
	void aRequestRunsOnItsResolvedVersion() {
		TextResult result = run(execution(Map.of()), null);
		assertThat(result.version()).isEqualTo(2);
		assertThat(result.degradation()).isNull();
		assertThat(label(result)).isEqualTo("positive");
		assertReleased();
	}

	@Test
	void aFailingVersionDegradesToTheOlderOneAndAsksTheRegistryOnlyForIt() {
		this.newer.failing();
		int olderLeases = this.older.acquisitions();
		int newerLeases = this.newer.acquisitions();
		TextResult result = run(execution(Map.of()), null);
		assertThat(result.version()).isEqualTo(1);
		assertThat(result.degradation()).isEqualTo(TextResult.PREVIOUS_VERSION);
		assertThat(this.newer.acquisitions() - newerLeases).as("the resolution's lease").isEqualTo(1);
		assertThat(this.older.acquisitions() - olderLeases).as("the degradation's lease").isEqualTo(1);
		assertReleased();
	}

	@Test
	void whenEveryVersionFailsTheFallbackAnswers() {
		this.newer.failing();
		this.older.failing();
		TextResult result = run(execution(Map.of(MODEL, new ServedModels.Fallback("neutral", 0.5))), null);
		assertThat(result.degradation()).isEqualTo(TextResult.FALLBACK_ANSWER);
		assertThat(label(result)).isEqualTo("neutral");
		assertReleased();
	}

	@Test
	void withoutAFallbackTheFailureIsTheModels() {
		this.newer.failing();
		this.older.failing();
		assertThatThrownBy(() -> run(execution(Map.of()), null)).isInstanceOfSatisfying(ModelFailureException.class,
				(failure) -> assertThat(failure.rule()).isEqualTo(Rule.MODEL_EXECUTION));
		assertReleased();
	}

	@Test
	void aPinnedVersionNeverDegrades() {
		this.newer.failing();
		int olderLeases = this.older.acquisitions();
		assertThatThrownBy(() -> run(execution(Map.of(MODEL, new ServedModels.Fallback("neutral", 0.5))), 2L))
			.isInstanceOf(ModelFailureException.class);
		assertThat(this.older.acquisitions()).as("the older version is not asked").isEqualTo(olderLeases);
		assertReleased();
	}

	private TextExecution execution(Map<String, ServedModels.Fallback> fallbacks) {
		SimpleMeterRegistry meters = new SimpleMeterRegistry();
		return new TextExecution(this.registry, Duration.ofSeconds(5),
				new ModelBreakers(CircuitBreakerRegistry.ofDefaults()), fallbacks, meters,
				new ServingMeters(meters, this.registry::contains), new RequestSpans(Tracer.NOOP),
				Schedulers.immediate());
	}

	/** Resolved as {@link InferenceService#resolved} does, the texts run, released. */
	private TextResult run(TextExecution execution, Long version) {
		return Mono
			.using(() -> new ResolvedRequest(this.registry.lease(MODEL, version), version != null),
					(request) -> execution.execute(request, List.of("a good film"), OPTIONS, System.nanoTime()),
					ResolvedRequest::release)
			.block(Duration.ofSeconds(5));
	}

	private static String label(TextResult result) {
		return ((TextPrediction.Classification) result.predictions().get(0)).label();
	}

	private void assertReleased() {
		assertThat(this.newer.inFlight()).isZero();
		assertThat(this.older.inFlight()).isZero();
	}

}
