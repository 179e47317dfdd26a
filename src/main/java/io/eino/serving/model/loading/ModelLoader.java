package io.eino.serving.model.loading;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import io.eino.serving.batching.BatchQueue;
import io.eino.serving.batching.BatchScheduler;
import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.model.PublishedVersion;
import io.eino.serving.model.ServedModels;
import io.eino.serving.operator.OperatorRegistry;
import io.eino.serving.operator.Pipeline;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.repository.ModelRepository;
import io.eino.serving.runtime.BatchObserver;
import io.eino.serving.runtime.RunnerPool;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.runtime.TokenBatchRun;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.security.ModelKeys;
import io.eino.serving.security.ModelPackage;
import io.eino.serving.security.PlaintextWorkspace;
import io.eino.serving.text.TextTokenizer;
import io.eino.serving.validation.InputPolicies;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds one version directory ({@code <repository>/<model>/<version>/}) into a
 * {@link ModelVersion}: decrypts a sealed package, checks that its {@code model.yaml}
 * fits its signature, runs the startup optimisation step (or reuses its stored plan and
 * optimised graph), opens one session per runner, warms every bucket shape up and
 * measures the batch cost model, gives it a batch queue and health-checks it.
 */
public final class ModelLoader {

	private static final Logger logger = LoggerFactory.getLogger(ModelLoader.class);

	private final BuildSettings settings;

	private final BatchScheduler scheduler;

	private final VersionMeters meters;

	private final ModelKeys keys;

	private final HealthCheck healthCheck;

	private final StartupPlans plans;

	private final OperatorRegistry operators;

	/**
	 * @param batches told about every batch the versions' runners run (their tracing)
	 */
	public ModelLoader(BuildSettings settings, BatchScheduler scheduler, MeterRegistry meters,
			OperatorRegistry operators, ModelKeys keys, BatchObserver batches) {
		this.settings = settings;
		this.scheduler = scheduler;
		this.meters = new VersionMeters(meters, batches);
		this.operators = operators;
		this.keys = keys;
		this.healthCheck = new HealthCheck(settings.repository().healthCheck());
		GraphOptimization level = settings.runtime().properties().graphOptimization();
		Precision precision = settings.runtime().properties().precision();
		this.plans = new StartupPlans(new StartupTuner(level, precision), level, precision,
				settings.runtime().instances(), settings.runtime().properties().planDirectory());
	}

	/**
	 * Forgets the stored startup plans of the model's versions, so that their next build
	 * runs the startup step again (a reload with {@code retune}).
	 */
	public void forgetPlans(ModelRepository repository, String model) {
		this.plans.forget(repository.versions(model).stream().map(ModelRepository.Version::directory).toList());
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
	public PublishedVersion load(String model, Path modelDirectory, long version, ServedModels.Settings overrides) {
		Path stored = modelDirectory.resolve(Long.toString(version));
		Path packageFile = stored.resolve(ModelPackage.FILE_NAME);
		if (!Files.isRegularFile(packageFile)) {
			return build(model, modelDirectory, stored, stored, version, overrides, null);
		}
		PlaintextWorkspace workspace = step(model, version, ModelLoadException.Step.DECRYPT,
				() -> decrypt(packageFile));
		try {
			return build(model, modelDirectory, stored, workspace.path(), version, overrides, workspace);
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
	 * @param stored the version's directory in the repository, where its startup plan is
	 * kept
	 * @param versionDirectory where its SavedModel lies
	 * @param workspace where a decrypted version lies, removed as soon as its sessions
	 * are open; null for a plain version
	 */
	private PublishedVersion build(String model, Path modelDirectory, Path stored, Path versionDirectory, long version,
			ServedModels.Settings overrides, PlaintextWorkspace workspace) {
		if (!VersionSettings.hasDescriptor(modelDirectory, versionDirectory)) {
			return buildTensorModel(model, versionDirectory, version, workspace);
		}
		ModelDescriptor descriptor = step(model, version, ModelLoadException.Step.READ,
				() -> VersionSettings.descriptor(modelDirectory, versionDirectory, overrides));
		BatchingOptions options = step(model, version, ModelLoadException.Step.READ, () -> VersionSettings
			.batchingOptions(descriptor, overrides, this.settings.batching(), this.settings.admission()));
		Pipeline pipeline = step(model, version, ModelLoadException.Step.READ, () -> pipeline(descriptor));
		TextTokenizer tokenizer = step(model, version, ModelLoadException.Step.READ,
				() -> TextTokenizer.load(
						VersionSettings.firstExisting(versionDirectory.resolve(descriptor.tokenizer()),
								modelDirectory.resolve(descriptor.tokenizer())),
						descriptor.maxTokens(), descriptor.overflow()));
		List<SavedModelRunner> sessions = new ArrayList<>();
		VersionMeters.Lease meters = null;
		BatchQueue<TokenSequence, float[]> queue = null;
		RunnerPool<TokenSequence, float[]> runners = null;
		try {
			SessionSettings base = this.settings.runtime().sessionSettings();
			String planKey = step(model, version, ModelLoadException.Step.OPTIMISE,
					() -> this.plans.key(stored, modelDirectory, descriptor, base));
			long optimiseStarted = System.nanoTime();
			StartupOptimizer.Choice reused = step(model, version, ModelLoadException.Step.OPTIMISE,
					() -> this.plans.reuse(stored, planKey, base));
			if (reused == null) {
				// Load once as stored, so that a broken SavedModel or signature fails
				// as "load" (a reused plan was chosen for these very files).
				step(model, version, ModelLoadException.Step.LOAD, () -> {
					try (SavedModelRunner probe = SavedModelRunner.load(versionDirectory,
							base.withOptimization(GraphOptimization.NONE, false))) {
						VersionSettings.check(descriptor, probe);
					}
					return null;
				});
			}
			StartupOptimizer.Choice choice = (reused != null) ? reused
					: step(model, version, ModelLoadException.Step.OPTIMISE, () -> this.plans.tune(stored, planKey,
							modelDirectory, versionDirectory, descriptor, tokenizer, base));
			int instances = this.settings.runtime().instances();
			step(model, version, ModelLoadException.Step.OPTIMISE, () -> {
				VersionSessions.open(sessions, instances, versionDirectory, choice.settings(), this.plans, stored,
						planKey, workspace == null, VersionSessions.probe(tokenizer));
				return null;
			});
			if (workspace != null) {
				removePlaintext(model, version, workspace);
			}
			meters = this.meters.acquire(model, version, instances);
			runners = new RunnerPool<>(sessions, (session) -> new TokenBatchRun(session, descriptor.signature(),
					descriptor.output(), descriptor.pooling()), false, model, version, meters.metrics(),
					System::nanoTime);
			RunnerPool<TokenSequence, float[]> pool = runners;
			long warmupStarted = System.nanoTime();
			Warmup warmup = step(model, version, ModelLoadException.Step.WARM_UP,
					() -> Warmup.run(pool, options, choice.costModel()));
			this.plans.remember(stored, planKey, warmup.costModel());
			logger.info("Model '{}' version {}: startup step (or plan) and sessions in {} ms, warm-up in {} ms", model,
					version, (warmupStarted - optimiseStarted) / 1_000_000,
					(System.nanoTime() - warmupStarted) / 1_000_000);
			queue = this.scheduler.addQueue(model + " version " + version, options, runners);
			queue.costModel(warmup.costModel());
			runners.onBatchDone(this.scheduler::wakeUp);
			meters.track(queue);
			BatchQueue<TokenSequence, float[]> checked = queue;
			step(model, version, ModelLoadException.Step.HEALTH_CHECK,
					() -> this.healthCheck.check(model, version, pipeline, tokenizer, checked));
			OptimizationReport report = new OptimizationReport(choice.steps(), choice.precision(),
					choice.precisionReason(), warmup.shapes(), warmup.costModel().overheadNanos() / 1e6,
					warmup.costModel().nanosPerPaddedToken() / 1e3, warmup.costModel().nanosPerToken() / 1e3,
					choice.stepsMeasured());
			log(model, version, instances, choice, report, options);
			double maxUnknownTokenRatio = InputPolicies
				.merge(this.settings.validation(), (overrides != null) ? overrides.validation() : null)
				.maxUnknownTokenRatio();
			return new ModelVersion(model, version, descriptor, pipeline, runners, queue, tokenizer,
					maxUnknownTokenRatio, report, meters, this.settings.repository().drainTimeout());
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

	/**
	 * A version without {@code model.yaml}: its sessions, opened as stored, serve raw
	 * tensors through every signature.
	 */
	private PublishedVersion buildTensorModel(String model, Path versionDirectory, long version,
			PlaintextWorkspace workspace) {
		TensorModelVersion built = step(model, version, ModelLoadException.Step.LOAD,
				() -> TensorModelVersion.open(model, version, versionDirectory, this.settings.runtime().instances(),
						this.settings.runtime().sessionSettings(), this.settings.repository().drainTimeout(),
						this.scheduler,
						VersionSettings.tensorBatchingOptions(this.settings.batching(), this.settings.admission()),
						this.meters));
		if (workspace != null) {
			removePlaintext(model, version, workspace);
		}
		return built;
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

	private static void log(String model, long version, int instances, StartupOptimizer.Choice choice,
			OptimizationReport report, BatchingOptions options) {
		for (OptimizationReport.Step step : report.steps()) {
			logger.info(
					"Model '{}' version {} step '{}' (timed {}): {}, representative batches {} ms, speed-up {}× ({})",
					model, version, step.name(), report.stepsMeasured(), step.applied() ? "applied" : "not applied",
					String.format("%.1f", step.millis()), String.format("%.2f", step.speedup()), step.note());
		}
		logger.info("Model '{}' version {}: {} runner(s), {} intra-op thread(s) each, precision {}, lengths {}, "
				+ "max batch {}, max delay {}; warmed up {} shapes; run cost {} ms + {} µs per padded token + {} µs per real token",
				model, version, instances, choice.settings().intraOpThreads(), report.precision(),
				options.allowedLengths(), options.maxBatchSize(), options.maxQueueDelay(), report.warmupShapes().size(),
				String.format("%.2f", report.overheadMillis()), String.format("%.2f", report.microsPerToken()),
				String.format("%.2f", report.microsPerRealToken()));
	}

}
