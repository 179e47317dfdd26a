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
import java.util.function.Supplier;

import io.eino.serving.batching.AdmissionProperties;
import io.eino.serving.batching.BatchCostModel;
import io.eino.serving.batching.BatchQueue;
import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.batching.BatchingProperties;
import io.eino.serving.operator.OperatorRegistry;
import io.eino.serving.operator.Pipeline;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.RunnerPool;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.security.ModelKeys;
import io.eino.serving.security.ModelPackage;
import io.eino.serving.security.PlaintextWorkspace;
import io.eino.serving.text.TextTokenizer;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds one version directory of the repository
 * ({@code <repository>/<model>/<version>/}) into a {@link ModelVersion}: decrypts a
 * sealed package, checks that its {@code model.yaml} fits its signature, runs the startup
 * optimisation step, opens one session per runner, warms every bucket shape up and
 * measures the batch cost model, gives it a batch queue and health-checks it.
 */
public final class ModelLoader {

	private static final Logger logger = LoggerFactory.getLogger(ModelLoader.class);

	/** Warm-up batches hold at most this many padded tokens (and at least one row). */
	private static final int WARMUP_TOKENS = 1024;

	private final BuildSettings settings;

	private final BatchScheduler scheduler;

	private final VersionMeters meters;

	private final ModelKeys keys;

	private final HealthCheck healthCheck;

	private final StartupOptimizer optimizer;

	private final OperatorRegistry operators;

	public ModelLoader(BuildSettings settings, BatchScheduler scheduler, MeterRegistry meters,
			OperatorRegistry operators, ModelKeys keys) {
		this.settings = settings;
		this.scheduler = scheduler;
		this.meters = new VersionMeters(meters);
		this.operators = operators;
		this.keys = keys;
		this.healthCheck = new HealthCheck(settings.repository().healthCheck());
		this.optimizer = new StartupOptimizer(settings.runtime().properties().graphOptimization(),
				settings.runtime().properties().precision(), StartupOptimizer.cpuHasBfloat16());
	}

	/**
	 * Builds one version completely: decrypts it when it is a sealed package (into a
	 * private memory-backed directory, removed as soon as its sessions are open), loads
	 * it, runs the startup optimisation step, warms every bucket shape up and
	 * health-checks it through its own batch queue. It is ready for traffic when this
	 * returns.
	 * @throws ModelLoadException naming the step that failed; nothing of the version is
	 * left open
	 */
	public ModelVersion load(String model, Path modelDirectory, long version, ServedModels.Settings overrides) {
		Path stored = modelDirectory.resolve(Long.toString(version));
		Path packageFile = stored.resolve(ModelPackage.FILE_NAME);
		if (!Files.isRegularFile(packageFile)) {
			return build(model, modelDirectory, stored, version, overrides, null);
		}
		PlaintextWorkspace workspace = step(model, version, ModelLoadException.Step.DECRYPT,
				() -> decrypt(packageFile));
		try {
			return build(model, modelDirectory, workspace.path(), version, overrides, workspace);
		}
		finally {
			removePlaintext(model, version, workspace);
		}
	}

	private static void removePlaintext(String model, long version, PlaintextWorkspace workspace) {
		if (Files.exists(workspace.path())) {
			workspace.close();
			logger.info("Model '{}' version {}: decrypted files removed from {}", model, version, workspace.path());
		}
	}

	private PlaintextWorkspace decrypt(Path packageFile) {
		long size;
		try {
			size = Files.size(packageFile);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		PlaintextWorkspace workspace = PlaintextWorkspace.create(this.settings.plaintextDirectory(), size);
		try {
			ModelPackage.Header header = ModelPackage.open(packageFile, this.keys, workspace.path());
			logger.info("Decrypted {} (key '{}') into {}", packageFile, header.keyId(), workspace.path());
			return workspace;
		}
		catch (RuntimeException ex) {
			workspace.close();
			throw ex;
		}
	}

	/**
	 * @param workspace where a decrypted version lies, removed as soon as its sessions
	 * are open; null for a plain version
	 */
	private ModelVersion build(String model, Path modelDirectory, Path versionDirectory, long version,
			ServedModels.Settings overrides, PlaintextWorkspace workspace) {
		ModelDescriptor descriptor = step(model, version, ModelLoadException.Step.READ,
				() -> withOverrides(readDescriptor(modelDirectory, versionDirectory), overrides));
		BatchingOptions options = step(model, version, ModelLoadException.Step.READ,
				() -> batchingOptions(descriptor, overrides));
		Pipeline pipeline = step(model, version, ModelLoadException.Step.READ, () -> pipeline(descriptor));
		TextTokenizer tokenizer = step(model, version, ModelLoadException.Step.READ,
				() -> TextTokenizer.load(
						firstExisting(versionDirectory.resolve(descriptor.tokenizer()),
								modelDirectory.resolve(descriptor.tokenizer())),
						descriptor.maxTokens(), descriptor.overflow()));
		List<SavedModelRunner> sessions = new ArrayList<>();
		VersionMeters.Lease meters = null;
		BatchQueue<TokenSequence, float[]> queue = null;
		RunnerPool runners = null;
		try {
			// Load once as stored, so that a broken SavedModel or signature fails as
			// "load".
			step(model, version, ModelLoadException.Step.LOAD, () -> {
				try (SavedModelRunner probe = SavedModelRunner.load(versionDirectory,
						this.settings.runtime().sessionSettings())) {
					check(descriptor, probe);
				}
				return null;
			});
			StartupOptimizer.Choice choice = step(model, version, ModelLoadException.Step.OPTIMISE,
					() -> this.optimizer.choose(versionDirectory, modelDirectory, descriptor, tokenizer,
							this.settings.runtime().sessionSettings()));
			int instances = this.settings.runtime().instances();
			step(model, version, ModelLoadException.Step.OPTIMISE, () -> {
				for (int i = 0; i < instances; i++) {
					sessions.add(SavedModelRunner.load(versionDirectory, choice.settings()));
				}
				return null;
			});
			if (workspace != null) {
				removePlaintext(model, version, workspace);
			}
			meters = this.meters.acquire(model, version);
			runners = new RunnerPool(sessions, descriptor.signature(), descriptor.output(),
					"eino-" + model + "-v" + version + "-runner", meters.metrics(), System::nanoTime);
			RunnerPool pool = runners;
			Warmup warmup = step(model, version, ModelLoadException.Step.WARM_UP,
					() -> warmUp(pool, options, tokenizer));
			queue = this.scheduler.addQueue(model + " version " + version, options, runners);
			queue.costModel(warmup.costModel());
			runners.onBatchDone(this.scheduler::wakeUp);
			meters.track(queue);
			BatchQueue<TokenSequence, float[]> checked = queue;
			step(model, version, ModelLoadException.Step.HEALTH_CHECK,
					() -> this.healthCheck.check(model, version, pipeline, tokenizer, checked));
			OptimizationReport report = new OptimizationReport(choice.steps(), choice.precision(),
					choice.precisionReason(), warmup.shapes(), warmup.costModel().overheadNanos() / 1e6,
					warmup.costModel().nanosPerPaddedToken() / 1e3);
			log(model, version, instances, choice, report, options);
			return new ModelVersion(model, version, descriptor, pipeline, runners, queue, tokenizer, report, meters,
					this.settings.repository().drainTimeout());
		}
		catch (RuntimeException ex) {
			if (queue != null) {
				queue.close();
			}
			if (runners != null) {
				runners.close();
			}
			else {
				sessions.forEach(SavedModelRunner::close);
			}
			if (meters != null) {
				meters.close();
			}
			tokenizer.close();
			throw ex;
		}
	}

	private static <T> T step(String model, long version, ModelLoadException.Step step, Supplier<T> work) {
		try {
			return work.get();
		}
		catch (ModelLoadException ex) {
			throw ex;
		}
		catch (RuntimeException ex) {
			throw new ModelLoadException(model, version, step, ex);
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

	private BatchingOptions batchingOptions(ModelDescriptor descriptor, ServedModels.Settings overrides) {
		BatchingProperties batching = this.settings.batching();
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
		AdmissionProperties admission = this.settings.admission();
		if (!batching.enabled()) {
			return new BatchingOptions(1, Duration.ZERO, batching.queueCapacity(), lengths, admission.maxQueueTime(),
					admission.priorityLead());
		}
		return new BatchingOptions(batching.maxBatchSize(), batching.maxQueueDelay(), batching.queueCapacity(), lengths,
				admission.maxQueueTime(), admission.priorityLead());
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

	private static ModelDescriptor withOverrides(ModelDescriptor descriptor, ServedModels.Settings overrides) {
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
		for (String input : SavedModelRunner.TOKEN_INPUTS) {
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
