package io.eino.serving.model;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.ErrorTier;
import io.eino.serving.error.Failure;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.repository.ModelInstaller;
import io.eino.serving.repository.ModelRepository;
import io.eino.serving.repository.RepositoryProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the loaded versions in step with the repository and the version policies: at
 * start, every {@code eino.repository.poll-interval}, and on explicit control requests.
 *
 * <p>
 * Every change is double-buffered: a new version (or a new build of a changed one) is
 * built completely by {@link ModelLoader} while the old one serves, then published in one
 * atomic swap; only then are the versions the policy no longer selects unloaded (drained,
 * then closed). A version that fails any step never takes traffic: its status shows why,
 * {@code eino.model.load.failures} counts it, and it is not tried again until its files
 * change or a load is requested. While no selected version could be built, the loaded one
 * keeps serving, unless its own directory is gone.
 *
 * <p>
 * All lifecycle work runs on one thread ({@code eino-repository}), so builds never
 * overlap and memory holds at most one extra build at a time.
 */
public final class ModelLifecycle implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ModelLifecycle.class);

	private final RepositoryProperties settings;

	private final ServedModels configured;

	private final List<ModelInstaller> installers;

	private final ModelRepository repository;

	private final ModelRegistry registry;

	private final ModelLoader loader;

	private final ErrorMetrics errors;

	private final SystemErrorMonitor systemErrors;

	private final MeterRegistry meters;

	private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor((task) -> {
		Thread thread = new Thread(task, "eino-repository");
		thread.setDaemon(true);
		return thread;
	});

	/** Per model: the fingerprint of each loaded version's files. */
	private final Map<String, Map<Long, String>> loadedFingerprints = new ConcurrentHashMap<>();

	/**
	 * Per model: the fingerprint of each version whose build failed, with the failure.
	 */
	private final Map<String, Map<Long, Failed>> failures = new ConcurrentHashMap<>();

	/**
	 * Models served and polled: the configured and enabled ones and those loaded on
	 * request, less those unloaded on request.
	 */
	private final Map<String, ServedModels.Settings> served = new ConcurrentHashMap<>();

	private record Failed(String fingerprint, RuntimeException failure) {
	}

	/**
	 * @param installers models that ship with the service, installed on first start when
	 * served and {@code install-default-model} is on
	 */
	public ModelLifecycle(RepositoryProperties settings, ServedModels configured, List<ModelInstaller> installers,
			ModelRegistry registry, ModelLoader loader, ErrorMetrics errors, SystemErrorMonitor systemErrors,
			MeterRegistry meters) {
		this.settings = settings;
		this.configured = configured;
		this.installers = List.copyOf(installers);
		this.repository = new ModelRepository(settings.path(), settings.requireReadyMarker());
		this.registry = registry;
		this.loader = loader;
		this.errors = errors;
		this.systemErrors = systemErrors;
		this.meters = meters;
		configured.models().forEach((name, model) -> {
			if (model.enabled()) {
				this.served.put(name, model);
			}
		});
	}

	public ModelRepository repository() {
		return this.repository;
	}

	/**
	 * Prepares the default model when the repository lacks it, loads what every served
	 * model's policy selects (waiting for it), then polls at the configured interval.
	 */
	public void start() throws IOException {
		Files.createDirectories(this.repository.root());
		if (this.settings.installDefaultModel()) {
			for (ModelInstaller installer : this.installers) {
				if (this.served.containsKey(installer.model())) {
					installer.installIfMissing(this.repository.root());
				}
			}
		}
		submit(() -> {
			this.served.keySet().stream().sorted().forEach((model) -> reconcile(model, false));
			return null;
		}).join();
		long interval = this.settings.pollInterval().toMillis();
		if (interval > 0) {
			this.thread.scheduleWithFixedDelay(this::pollQuietly, interval, interval, TimeUnit.MILLISECONDS);
			logger.info("Polling {} every {}", this.repository.root(), this.settings.pollInterval());
		}
	}

	/** Scans every served model now (as a poll does); completes when done. */
	public CompletableFuture<Void> poll() {
		return submit(() -> {
			pollAll();
			return null;
		});
	}

	/**
	 * Serves a model (Triton's load), also one that is not configured (with the default
	 * settings): forgets earlier build failures so that they are tried again, and loads
	 * what its policy selects.
	 * @return whether a version of it serves afterwards
	 */
	public CompletableFuture<Boolean> load(String model) {
		return submit(() -> {
			requireInRepository(model);
			this.served.computeIfAbsent(model,
					(name) -> this.configured.models().getOrDefault(name, ServedModels.Settings.defaults()));
			this.registry.register(model);
			this.failures.remove(model);
			reconcile(model, false);
			boolean ready = this.registry.isReady(model);
			if (!ready && !configured(model)) {
				// Nothing of it could be built: it is not served, and readiness is
				// untouched.
				this.served.remove(model);
				this.registry.deregister(model);
			}
			return ready;
		});
	}

	private boolean configured(String model) {
		ServedModels.Settings settings = this.configured.models().get(model);
		return settings != null && settings.enabled();
	}

	/**
	 * Builds every selected version of a model again, also those already loaded, and
	 * swaps each new build in for the old one (double-buffered).
	 */
	public CompletableFuture<Boolean> reload(String model) {
		return submit(() -> {
			requireServed(model);
			this.failures.remove(model);
			reconcile(model, true);
			return this.registry.isReady(model);
		});
	}

	/**
	 * Stops serving a model (Triton's unload): every version drains and closes, requests
	 * for it are answered 404, and polling leaves it alone until it is loaded again.
	 */
	public CompletableFuture<Void> unload(String model) {
		return submit(() -> {
			requireServed(model);
			this.served.remove(model);
			for (long version : this.registry.loadedVersions(model)) {
				unloadVersion(model, version);
			}
			this.registry.deregister(model);
			this.failures.remove(model);
			return null;
		});
	}

	/**
	 * The last build failure of a model's versions that still stands, for explaining a
	 * load request that left nothing serving; null when none.
	 */
	public RuntimeException lastFailure(String model) {
		Map<Long, Failed> failed = this.failures.get(model);
		if (failed == null || failed.isEmpty()) {
			return null;
		}
		return failed.entrySet().stream().max(Map.Entry.comparingByKey()).get().getValue().failure();
	}

	/** Whether a model is served (configured and enabled, or loaded on request). */
	public boolean serves(String model) {
		return this.served.containsKey(model);
	}

	/** The models known: served ones and every model directory in the repository. */
	public List<String> knownModels() {
		Set<String> models = new HashSet<>(this.repository.models());
		models.addAll(this.served.keySet());
		return models.stream().sorted().toList();
	}

	private void pollQuietly() {
		try {
			pollAll();
		}
		catch (RuntimeException ex) {
			logger.error("Polling the model repository failed: {}", ex.getMessage(), ex);
		}
	}

	private void pollAll() {
		for (String model : this.served.keySet().stream().sorted().toList()) {
			reconcile(model, false);
		}
	}

	/**
	 * Brings one model in step: builds and publishes the versions the policy selects
	 * among the ready, not failed ones (all of them again when {@code rebuild}), then
	 * unloads loaded versions it no longer selects, unless that would leave the model
	 * with nothing serving while their directories are still there.
	 */
	private void reconcile(String model, boolean rebuild) {
		this.registry.register(model);
		ServedModels.Settings settings = this.served.get(model);
		Map<Long, ModelRepository.Version> onDisk = new LinkedHashMap<>();
		this.repository.versions(model).forEach((version) -> onDisk.put(version.version(), version));
		Map<Long, String> loaded = this.loadedFingerprints.computeIfAbsent(model, (name) -> new ConcurrentHashMap<>());
		Map<Long, Failed> failed = this.failures.computeIfAbsent(model, (name) -> new ConcurrentHashMap<>());
		failed.keySet()
			.removeIf((version) -> !onDisk.containsKey(version)
					|| !onDisk.get(version).fingerprint().equals(failed.get(version).fingerprint()));
		forgetVanished(model, onDisk);
		List<Long> desired;
		while (true) {
			List<Long> loadedNow = this.registry.loadedVersions(model);
			// A failed build is out of the running, unless an earlier build of it serves.
			List<Long> candidates = onDisk.values()
				.stream()
				.filter(ModelRepository.Version::ready)
				.map(ModelRepository.Version::version)
				.filter((version) -> !failed.containsKey(version) || loadedNow.contains(version))
				.toList();
			desired = select(settings.versionPolicy(), candidates);
			boolean buildFailed = false;
			for (long version : desired) {
				if (failed.containsKey(version)) {
					continue;
				}
				ModelRepository.Version entry = onDisk.get(version);
				boolean current = this.registry.loadedVersions(model).contains(version)
						&& entry.fingerprint().equals(loaded.get(version));
				if (current && !rebuild) {
					continue;
				}
				if (!build(model, entry, settings)) {
					buildFailed = true;
				}
			}
			if (!buildFailed) {
				break;
			}
			rebuild = false;
		}
		List<Long> keep = desired;
		for (long version : this.registry.loadedVersions(model)) {
			if (keep.contains(version)) {
				continue;
			}
			ModelRepository.Version entry = onDisk.get(version);
			boolean stillThere = entry != null && entry.ready();
			boolean othersServe = this.registry.loadedVersions(model).stream().anyMatch(keep::contains);
			if (stillThere && !othersServe) {
				logger.warn("Model '{}' keeps version {} serving: no version its policy selects could be built", model,
						version);
				continue;
			}
			unloadVersion(model, version);
		}
		if (onDisk.values().stream().noneMatch(ModelRepository.Version::ready)
				&& this.registry.loadedVersions(model).isEmpty()) {
			this.registry.failed(model, 0, "no ready version in " + this.repository.modelDirectory(model)
					+ " (a version directory needs saved_model.pb or model.eino, and the READY marker)");
		}
		else {
			this.registry.forget(model, 0);
		}
	}

	/** Builds one version; on failure records why and returns false. */
	private boolean build(String model, ModelRepository.Version entry, ServedModels.Settings settings) {
		long version = entry.version();
		this.registry.loading(model, version);
		Timer.Sample sample = Timer.start(this.meters);
		try {
			ModelVersion built = this.loader.load(model, this.repository.modelDirectory(model), version, settings);
			this.registry.publish(built);
			this.loadedFingerprints.get(model).put(version, entry.fingerprint());
			long millis = sample.stop(timer(model, "loaded")) / 1_000_000;
			logger.info("Loaded model '{}' version {} in {} ms{}", model, version, millis,
					entry.sealed() ? " (from its sealed package)" : "");
			return true;
		}
		catch (RuntimeException ex) {
			sample.stop(timer(model, "failed"));
			String step = (ex instanceof ModelLoadException load) ? load.step().slug() : "load";
			Counter.builder("eino.model.load.failures")
				.description("Versions whose build failed a step; they never took traffic")
				.tags("model", model, "step", step)
				.register(this.meters)
				.increment();
			this.failures.get(model).put(version, new Failed(entry.fingerprint(), ex));
			this.registry.failed(model, version, ex.getMessage());
			Failure failure = Failure.of(ex);
			if (failure.tier() == ErrorTier.SYSTEM) {
				this.errors.count(failure);
				this.systemErrors.record();
				logger.error("System error: {}", ex.getMessage(), ex);
			}
			else {
				logger.error("{}", ex.getMessage(), ex);
			}
			return false;
		}
	}

	private Timer timer(String model, String outcome) {
		return Timer.builder("eino.model.load.duration")
			.description("Time to build a version: decrypt, load, optimise, warm up, health check")
			.tags("model", model, "outcome", outcome)
			.register(this.meters);
	}

	private void unloadVersion(String model, long version) {
		logger.info("Unloading model '{}' version {}", model, version);
		this.registry.unload(model, version);
		this.loadedFingerprints.get(model).remove(version);
	}

	private void forgetVanished(String model, Map<Long, ModelRepository.Version> onDisk) {
		for (VersionStatus status : this.registry.status(model)) {
			if (status.version() != 0 && !onDisk.containsKey(status.version())) {
				this.registry.forget(model, status.version());
			}
		}
	}

	private void requireInRepository(String model) {
		if (!this.repository.models().contains(model)) {
			throw new ModelNotFoundException("Model '" + model + "' has no directory in the repository");
		}
	}

	private void requireServed(String model) {
		if (!this.served.containsKey(model)) {
			throw new ModelNotFoundException("Model '" + model + "' is not served here; load it first");
		}
	}

	/** The versions a policy loads out of those present, in ascending order. */
	static List<Long> select(ServedModels.VersionPolicy policy, List<Long> present) {
		List<Long> sorted = present.stream().sorted().toList();
		return switch (policy.kind()) {
			case ALL -> sorted;
			case LATEST -> sorted.subList(Math.max(0, sorted.size() - policy.count()), sorted.size());
			case SPECIFIC -> sorted.stream().filter(policy.versions()::contains).toList();
		};
	}

	private <T> CompletableFuture<T> submit(Callable<T> work) {
		CompletableFuture<T> result = new CompletableFuture<>();
		this.thread.execute(() -> {
			try {
				result.complete(work.call());
			}
			catch (Throwable ex) {
				result.completeExceptionally(ex);
			}
		});
		return result;
	}

	@Override
	public void close() {
		this.thread.shutdownNow();
		try {
			this.thread.awaitTermination(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
