package io.eino.serving.model.lifecycle;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.ErrorTier;
import io.eino.serving.error.Failure;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.PublishedVersion;
import io.eino.serving.model.ServedModels;
import io.eino.serving.model.VersionStatus;
import io.eino.serving.model.loading.ModelLoadException;
import io.eino.serving.repository.ModelRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one model at a time in step with its directory and version policy, for
 * {@link ModelLifecycle} and on its thread: which versions to build, publish and unload,
 * and the bookkeeping of what is loaded (the fingerprint of each loaded version's files)
 * and what failed (a failed build is not tried again until its files change or a load is
 * requested). A failed build is counted ({@code eino.model.load.failures}) and, when it
 * is the system's fault (a package that cannot be decrypted), counted as a system error.
 * Not thread safe: the lifecycle's one thread calls it.
 */
final class Reconciler {

	private static final Logger logger = LoggerFactory.getLogger(Reconciler.class);

	private final ModelRepository repository;

	private final ModelRegistry registry;

	private final VersionBuilder loader;

	private final ErrorMetrics errors;

	private final SystemErrorMonitor systemErrors;

	private final MeterRegistry meters;

	/** Per model: the fingerprint of each loaded version's files. */
	private final Map<String, Map<Long, String>> loadedFingerprints = new ConcurrentHashMap<>();

	/**
	 * Per model: the fingerprint of each version whose build failed, with the failure.
	 */
	private final Map<String, Map<Long, Failed>> failures = new ConcurrentHashMap<>();

	private record Failed(String fingerprint, RuntimeException failure) {
	}

	Reconciler(ModelRepository repository, ModelRegistry registry, VersionBuilder loader, ErrorMetrics errors,
			SystemErrorMonitor systemErrors, MeterRegistry meters) {
		this.repository = repository;
		this.registry = registry;
		this.loader = loader;
		this.errors = errors;
		this.systemErrors = systemErrors;
		this.meters = meters;
	}

	/** Forgets a model's build failures, so that they are tried again. */
	void forgetFailures(String model) {
		this.failures.remove(model);
	}

	/**
	 * The last build failure of a model's versions that still stands; null when none.
	 */
	RuntimeException lastFailure(String model) {
		Map<Long, Failed> failed = this.failures.get(model);
		if (failed == null || failed.isEmpty()) {
			return null;
		}
		return failed.entrySet().stream().max(Map.Entry.comparingByKey()).get().getValue().failure();
	}

	/**
	 * Brings one model in step: builds and publishes the versions the policy selects
	 * among the ready, not failed ones (all of them again when {@code rebuild}), then
	 * unloads loaded versions it no longer selects, unless that would leave the model
	 * with nothing serving while their directories are still there.
	 */
	void reconcile(String model, ServedModels.Settings settings, boolean rebuild) {
		this.registry.register(model);
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
			PublishedVersion built = this.loader.load(model, this.repository.modelDirectory(model), version, settings);
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

	void unloadVersion(String model, long version) {
		logger.info("Unloading model '{}' version {}", model, version);
		this.registry.unload(model, version);
		this.loadedFingerprints.computeIfAbsent(model, (name) -> new ConcurrentHashMap<>()).remove(version);
	}

	private void forgetVanished(String model, Map<Long, ModelRepository.Version> onDisk) {
		for (VersionStatus status : this.registry.status(model)) {
			if (status.version() != 0 && !onDisk.containsKey(status.version())) {
				this.registry.forget(model, status.version());
			}
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

}
