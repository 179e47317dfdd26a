package io.eino.serving.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import io.eino.serving.batching.BatchTask;
import io.eino.serving.batching.BatchingException;
import io.eino.serving.error.Rule;
import io.eino.serving.error.ServingException;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.ratelimit.RateLimitedException;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.Datatype;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.text.Overflow;

/**
 * A stand-in for a loaded sentiment model, for tests of what lies around a version
 * without TensorFlow: a text containing "good" is positive, any other negative, and
 * completes at once on another thread, as a runner would; a text {@code raise:<rule>}
 * fails with that rule's exception, so that every problem the API can answer is reachable
 * over HTTP; raw tensors get {@code [0.5, 0.5]} for each output asked. Leases are
 * counted, and a use after {@link #close()} is counted too.
 */
public final class StubVersion extends LeasedVersion {

	public static final String RAISE = "raise:";

	private static final List<String> LABELS = List.of("negative", "positive");

	private final String model;

	private final long version;

	private final AtomicInteger acquisitions = new AtomicInteger();

	private volatile boolean failing;

	private final AtomicInteger usedAfterClose = new AtomicInteger();

	private volatile boolean closed;

	private volatile Executor runner = Runnable::run;

	private volatile boolean refusingAtTheDoor;

	private final AtomicInteger submits = new AtomicInteger();

	public StubVersion(String model, long version) {
		this.model = model;
		this.version = version;
	}

	@Override
	public String model() {
		return this.model;
	}

	@Override
	public long version() {
		return this.version;
	}

	@Override
	public ModelDescriptor descriptor() {
		return new ModelDescriptor(ModelDescriptor.Task.CLASSIFICATION, "serving_default", "tokenizer.json", 128,
				Overflow.TRUNCATE, LABELS, "probabilities", null, List.of(), List.of());
	}

	@Override
	public SubmittedTexts submit(List<String> texts, long deadlineNanos, int priority, String client, Object trace) {
		checkOpen();
		this.submits.incrementAndGet();
		if (this.failing) {
			throw failure(Rule.MODEL_EXECUTION);
		}
		List<BatchTask<TokenSequence, float[]>> tasks = new ArrayList<>();
		for (String text : texts) {
			if (text.startsWith(RAISE)) {
				throw failure(Rule.valueOf(text.substring(RAISE.length()).toUpperCase().replace('-', '_')));
			}
			BatchTask<TokenSequence, float[]> task = new BatchTask<>(null, 1, deadlineNanos, priority, client);
			float positive = text.contains("good") ? 0.9f : 0.2f;
			CompletableFuture.runAsync(() -> task.result().complete(new float[] { 1 - positive, positive }));
			tasks.add(task);
		}
		return new SubmittedTexts(tasks);
	}

	/** The exception the service raises for {@code rule}. */
	private RuntimeException failure(Rule rule) {
		return switch (rule) {
			case RATE_LIMIT -> new RateLimitedException(this.model, 10, Duration.ofSeconds(1), Duration.ofMillis(1500));
			case OVERLOADED -> new BatchingException.Overloaded("stub", Duration.ofMillis(2500), Duration.ofSeconds(1),
					false, Duration.ofSeconds(2));
			case QUEUE_FULL -> new BatchingException.QueueFull("stub", 1024);
			case QUEUE_CLOSED -> new BatchingException.QueueClosed("stub");
			case DEADLINE_EXCEEDED -> new BatchingException.DeadlineExceeded("stub", 30_000);
			case MODEL_EXECUTION, MODEL_OUTPUT -> new ModelFailureException(rule, "stub: the model failed", null);
			case INTERNAL_ERROR -> new IllegalStateException("stub: a secret internal state");
			default -> new ServingException(rule, "stub: " + rule.slug()) {
			};
		};
	}

	@Override
	public TextPrediction prediction(float[] row) {
		checkOpen();
		int best = (row[1] > row[0]) ? 1 : 0;
		return new TextPrediction.Classification(LABELS.get(best), row[best],
				Map.of(LABELS.get(0), (double) row[0], LABELS.get(1), (double) row[1]));
	}

	@Override
	public void checkDoor(String client) {
		if (this.refusingAtTheDoor) {
			throw (BatchingException.Overloaded) failure(Rule.OVERLOADED);
		}
	}

	/** Whether {@link #checkDoor} refuses every client, as a saturated queue does. */
	public void refuseAtTheDoor(boolean refusing) {
		this.refusingAtTheDoor = refusing;
	}

	/** How many times {@link #submit} was called. */
	public int submits() {
		return this.submits.get();
	}

	@Override
	public List<SignatureSpec> signatures() {
		List<TensorSpec> inputs = SavedModelRunner.TOKEN_INPUTS.stream()
			.map((name) -> new TensorSpec(name, Datatype.INT64, "DT_INT64", new long[] { -1, -1 }, name + ":0"))
			.toList();
		return List.of(new SignatureSpec("serving_default", "tensorflow/serving/predict", inputs, List
			.of(new TensorSpec("probabilities", Datatype.FP32, "DT_FLOAT", new long[] { -1, 2 }, "probabilities:0"))));
	}

	@Override
	public SignatureSpec signature(String key) {
		return signatures().stream().filter((signature) -> signature.key().equals(key)).findFirst().orElse(null);
	}

	@Override
	public CompletableFuture<Map<String, HostTensor>> run(String signature, Map<String, HostTensor> inputs,
			List<String> outputs, BooleanSupplier start) {
		checkOpen();
		return CompletableFuture.supplyAsync(() -> {
			if (!start.getAsBoolean()) {
				return null;
			}
			checkOpen();
			Map<String, HostTensor> answer = new java.util.LinkedHashMap<>();
			for (String output : outputs) {
				answer.put(output, new HostTensor.Float32(new long[] { 1, 2 }, new float[] { 0.5f, 0.5f }));
			}
			return answer;
		}, this.runner);
	}

	/**
	 * Runs its unbatched tensor runs on {@code runner} (the calling thread unless set).
	 */
	public void runsOn(Executor runner) {
		this.runner = runner;
	}

	@Override
	public OptimizationReport optimization() {
		return new OptimizationReport(List.of(), "fp32", "stub", List.of("[1, 8]"), 1.0, 2.0, 0.5, "at this start");
	}

	@Override
	public QueueSettings queueSettings() {
		return new QueueSettings(32, 0, Duration.ofMillis(2), 1024, List.of(8, 16, 32, 64, 128));
	}

	@Override
	public int instances() {
		return 1;
	}

	@Override
	public void acquire() {
		super.acquire();
		this.acquisitions.incrementAndGet();
	}

	/** From now on every text fails as a model-tier execution failure. */
	public StubVersion failing() {
		this.failing = true;
		return this;
	}

	/** How many times the registry has leased it, in all. */
	public int acquisitions() {
		return this.acquisitions.get();
	}

	@Override
	public Duration drainTimeout() {
		return Duration.ofSeconds(10);
	}

	@Override
	public void close() {
		this.closed = true;
	}

	/** How often it was used after it was closed: never, where leases work. */
	public int usedAfterClose() {
		return this.usedAfterClose.get();
	}

	private void checkOpen() {
		if (this.closed) {
			this.usedAfterClose.incrementAndGet();
		}
	}

}
