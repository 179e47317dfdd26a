package io.eino.serving.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import io.eino.serving.EinoProperties;
import io.eino.serving.batching.BatchCostModel;
import io.eino.serving.batching.BatchQueue;
import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.importer.OnnxImporter;
import io.eino.serving.operator.OperatorRegistry;
import io.eino.serving.operator.Pipeline;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.BatchMetrics;
import io.eino.serving.runtime.RunnerPool;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.text.TextTokenizer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one version directory of the repository ({@code <repository>/<model>/<version>/})
 * into a {@link ModelVersion}: checks that its {@code model.yaml} fits its signature,
 * runs the startup optimisation step, opens one session per runner, warms every bucket
 * shape up and measures the batch cost model, and gives it a batch queue.
 */
public final class ModelLoader {

	private static final Logger logger = LoggerFactory.getLogger(ModelLoader.class);

	/** Warm-up batches hold at most this many padded tokens (and at least one row). */
	private static final int WARMUP_TOKENS = 1024;

	private final EinoProperties properties;

	private final BatchScheduler scheduler;

	private final MeterRegistry meters;

	private final StartupOptimizer optimizer;

	private final OperatorRegistry operators;

	public ModelLoader(EinoProperties properties, BatchScheduler scheduler, MeterRegistry meters,
			OperatorRegistry operators) {
		this.properties = properties;
		this.scheduler = scheduler;
		this.meters = meters;
		this.operators = operators;
		this.optimizer = new StartupOptimizer(properties.runtime().graphOptimization(),
				properties.runtime().precision(), StartupOptimizer.cpuHasBfloat16());
	}

	/**
	 * The numbered version directories that hold a {@code saved_model.pb}, ascending.
	 * Directories whose names are not numbers (such as staging directories, which start
	 * with a dot) are never versions.
	 */
	public static List<Long> versions(Path modelDirectory) {
		if (!Files.isDirectory(modelDirectory)) {
			return List.of();
		}
		try (Stream<Path> children = Files.list(modelDirectory)) {
			return children.filter((path) -> path.getFileName().toString().matches("[0-9]{1,18}"))
				.filter((path) -> Files.isRegularFile(path.resolve("saved_model.pb")))
				.map((path) -> Long.parseLong(path.getFileName().toString()))
				.sorted()
				.toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Loads, optimises and warms up one version; it is ready for traffic when this
	 * returns.
	 */
	public ModelVersion load(String model, Path modelDirectory, long version, EinoProperties.Model overrides) {
		Path versionDirectory = modelDirectory.resolve(Long.toString(version));
		ModelDescriptor descriptor = withOverrides(readDescriptor(modelDirectory, versionDirectory), overrides);
		Path tokenizerFile = firstExisting(versionDirectory.resolve(descriptor.tokenizer()),
				modelDirectory.resolve(descriptor.tokenizer()));
		BatchingOptions options = batchingOptions(descriptor, overrides);
		Pipeline pipeline = pipeline(descriptor);
		TextTokenizer tokenizer = TextTokenizer.load(tokenizerFile, descriptor.maxTokens(), descriptor.overflow());
		List<SavedModelRunner> sessions = new ArrayList<>();
		try {
			StartupOptimizer.Choice choice = this.optimizer.choose(versionDirectory, modelDirectory, descriptor,
					tokenizer, this.properties.runtime().sessionSettings());
			int instances = this.properties.runtime().effectiveInstances();
			for (int i = 0; i < instances; i++) {
				sessions.add(SavedModelRunner.load(versionDirectory, choice.settings()));
			}
			check(descriptor, sessions.get(0));
			RunnerPool runners = new RunnerPool(sessions, descriptor.signature(), descriptor.output(),
					"eino-" + model + "-v" + version + "-runner", new BatchMetrics(this.meters, model, version),
					System::nanoTime);
			Warmup warmup = warmUp(runners, options, tokenizer);
			BatchQueue<TokenSequence, float[]> queue = this.scheduler.addQueue(model + " version " + version, options,
					runners);
			queue.costModel(warmup.costModel());
			runners.onBatchDone(this.scheduler::wakeUp);
			Gauge.builder("eino.queue.depth", queue, BatchQueue::depth)
				.description("Texts admitted and waiting for a batch")
				.tags("model", model, "version", Long.toString(version))
				.register(this.meters);
			OptimizationReport report = new OptimizationReport(choice.steps(), choice.precision(),
					choice.precisionReason(), warmup.shapes(), warmup.costModel().overheadNanos() / 1e6,
					warmup.costModel().nanosPerPaddedToken() / 1e3);
			log(model, version, instances, choice, report, options);
			return new ModelVersion(model, version, descriptor, pipeline, runners, queue, tokenizer, report);
		}
		catch (RuntimeException ex) {
			sessions.forEach(SavedModelRunner::close);
			tokenizer.close();
			throw ex;
		}
	}

	private Pipeline pipeline(ModelDescriptor descriptor) {
		try {
			return this.operators.compile(descriptor.preprocess(), descriptor.postprocess());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException(
					"The pipeline of " + ModelDescriptor.FILE_NAME + " is invalid: " + ex.getMessage(), ex);
		}
	}

	private BatchingOptions batchingOptions(ModelDescriptor descriptor, EinoProperties.Model overrides) {
		EinoProperties.Batching batching = this.properties.batching();
		Integer padTo = (overrides != null) ? overrides.padTo() : null;
		List<Integer> lengths;
		if (padTo != null) {
			if (padTo < descriptor.maxTokens()) {
				throw new IllegalArgumentException(
						"pad-to " + padTo + " is shorter than the model's max tokens " + descriptor.maxTokens());
			}
			lengths = List.of(padTo);
		}
		else {
			TreeSet<Integer> allowed = new TreeSet<>();
			batching.allowedLengths()
				.stream()
				.filter((length) -> length < descriptor.maxTokens())
				.forEach(allowed::add);
			allowed.add(descriptor.maxTokens());
			lengths = List.copyOf(allowed);
		}
		if (!batching.enabled()) {
			return new BatchingOptions(1, Duration.ZERO, batching.queueCapacity(), lengths);
		}
		return new BatchingOptions(batching.maxBatchSize(), batching.maxQueueDelay(), batching.queueCapacity(),
				lengths);
	}

	/**
	 * Runs every allowed length at one row and at the largest batch of at most
	 * {@value #WARMUP_TOKENS} tokens on every runner, and fits the batch cost model to
	 * the second, warm timing of each shape on the first runner.
	 */
	private static Warmup warmUp(RunnerPool runners, BatchingOptions options, TextTokenizer tokenizer) {
		List<String> shapes = new ArrayList<>();
		List<double[]> samples = new ArrayList<>();
		for (int length : options.allowedLengths()) {
			int largest = Math.max(1, Math.min(options.maxBatchSize(), WARMUP_TOKENS / length));
			for (int rows : (largest > 1) ? List.of(1, largest) : List.of(1)) {
				List<TokenSequence> batch = Collections.nCopies(rows, syntheticSequence(length));
				for (int runner = 0; runner < runners.size(); runner++) {
					runners.runDirect(runner, batch, length);
				}
				long started = System.nanoTime();
				runners.runDirect(0, batch, length);
				samples.add(new double[] { (double) rows * length, System.nanoTime() - started });
				shapes.add("[" + rows + ", " + length + "]");
			}
		}
		return new Warmup(List.copyOf(shapes), fit(samples));
	}

	/** A sequence of {@code length} real tokens (id 1000, in every BERT vocabulary). */
	private static TokenSequence syntheticSequence(int length) {
		long[] ids = new long[length];
		long[] mask = new long[length];
		Arrays.fill(ids, 1000);
		Arrays.fill(mask, 1);
		return new TokenSequence(ids, mask, new long[length], false);
	}

	/** Least squares of time against padded tokens, clamped to non-negative costs. */
	static BatchCostModel fit(List<double[]> samples) {
		double n = samples.size();
		double sumX = 0;
		double sumY = 0;
		double sumXX = 0;
		double sumXY = 0;
		for (double[] sample : samples) {
			sumX += sample[0];
			sumY += sample[1];
			sumXX += sample[0] * sample[0];
			sumXY += sample[0] * sample[1];
		}
		double denominator = n * sumXX - sumX * sumX;
		if (n < 2 || denominator == 0) {
			return BatchCostModel.DEFAULT;
		}
		double slope = Math.max(0, (n * sumXY - sumX * sumY) / denominator);
		double intercept = Math.max(0, (sumY - slope * sumX) / n);
		return new BatchCostModel(intercept, slope);
	}

	private record Warmup(List<String> shapes, BatchCostModel costModel) {
	}

	private static void log(String model, long version, int instances, StartupOptimizer.Choice choice,
			OptimizationReport report, BatchingOptions options) {
		for (OptimizationReport.Step step : report.steps()) {
			logger.info("Model '{}' version {} step '{}': {}, reference batch {} ms, speed-up {}× ({})", model, version,
					step.name(), step.applied() ? "applied" : "not applied", String.format("%.1f", step.millis()),
					String.format("%.2f", step.speedup()), step.note());
		}
		logger.info(
				"Model '{}' version {}: {} runner(s), {} intra-op thread(s) each, precision {}, lengths {}, "
						+ "max batch {}, max delay {}; warmed up {} shapes; run cost {} ms + {} µs per padded token",
				model, version, instances, choice.settings().intraOpThreads(), report.precision(),
				options.allowedLengths(), options.maxBatchSize(), options.maxQueueDelay(), report.warmupShapes().size(),
				String.format("%.2f", report.overheadMillis()), String.format("%.2f", report.microsPerToken()));
	}

	private static ModelDescriptor readDescriptor(Path modelDirectory, Path versionDirectory) {
		Path inVersion = versionDirectory.resolve(ModelDescriptor.FILE_NAME);
		Path file = Files.isRegularFile(inVersion) ? inVersion : modelDirectory.resolve(ModelDescriptor.FILE_NAME);
		if (!Files.isRegularFile(file)) {
			throw new IllegalArgumentException("No " + ModelDescriptor.FILE_NAME + " in " + modelDirectory);
		}
		return ModelDescriptor.read(file);
	}

	private static ModelDescriptor withOverrides(ModelDescriptor descriptor, EinoProperties.Model overrides) {
		if (overrides == null) {
			return descriptor;
		}
		return descriptor.withLimits((overrides.maxTokens() != null) ? overrides.maxTokens() : descriptor.maxTokens(),
				(overrides.overflow() != null) ? overrides.overflow() : descriptor.overflow());
	}

	private static Path firstExisting(Path first, Path second) {
		if (Files.isRegularFile(first)) {
			return first;
		}
		if (Files.isRegularFile(second)) {
			return second;
		}
		throw new IllegalArgumentException("Tokenizer file " + first.getFileName() + " not found in "
				+ first.getParent() + " or " + second.getParent());
	}

	private static void check(ModelDescriptor descriptor, SavedModelRunner runner) {
		SignatureSpec signature = runner.signatures().get(descriptor.signature());
		if (signature == null) {
			throw new IllegalArgumentException("The SavedModel has no signature '" + descriptor.signature() + "' (has "
					+ runner.signatures().keySet() + ")");
		}
		for (String input : OnnxImporter.TOKEN_INPUTS) {
			if (!signature.hasInput(input)) {
				throw new IllegalArgumentException(
						"Signature '" + descriptor.signature() + "' lacks the token input '" + input + "'");
			}
		}
		if (!signature.hasOutput(descriptor.output())) {
			throw new IllegalArgumentException(
					"Signature '" + descriptor.signature() + "' has no output '" + descriptor.output() + "'");
		}
	}

}
