package io.eino.serving.model.lifecycle;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServedModels;
import io.eino.serving.model.loading.ModelLoader;
import io.eino.serving.repository.ModelInstaller;
import io.eino.serving.repository.ModelRepository;
import io.eino.serving.repository.RepositoryProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the loaded versions in step with the repository and the version policies: at
 * start, every {@code eino.repository.poll-interval}, and on explicit control requests.
 *
 * <p>
 * Every change is double-buffered: a new version (or a new build of a changed one) is
 * built completely by {@link ModelLoader} while the old one serves, then published in one
 * atomic swap; then the versions the policy no longer selects are drained and closed. A
 * version that fails any step never takes traffic (its status shows why) and is not tried
 * again until its files change or a load is requested ({@link Reconciler}). All lifecycle
 * work runs on one thread ({@code eino-repository}), so builds never overlap and memory
 * holds at most one extra build at a time.
 */
public final class ModelLifecycle implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ModelLifecycle.class);

	private final RepositoryProperties settings;

	private final ServedModels configured;

	private final List<ModelInstaller> installers;

	private final ModelRepository repository;

	private final ModelRegistry registry;

	private final Reconciler reconciler;

	/** Drops a model's stored startup plans, so that its next build tunes again. */
	private final BiConsumer<ModelRepository, String> forgetPlans;

	private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor((task) -> {
		Thread thread = new Thread(task, "eino-repository");
		thread.setDaemon(true);
		return thread;
	});

	/**
	 * Models served and polled: configured and enabled, or loaded (not unloaded) since.
	 */
	private final Map<String, ServedModels.Settings> served = new ConcurrentHashMap<>();

	/** The first load of the served models; null until {@link #begin()}. */
	private CompletableFuture<Void> initialLoad;

	/**
	 * @param installers models that ship with the service, installed on first start when
	 * served and {@code install-default-model} is on
	 */
	public ModelLifecycle(RepositoryProperties settings, ServedModels configured, List<ModelInstaller> installers,
			ModelRegistry registry, ModelLoader loader, ErrorMetrics errors, SystemErrorMonitor systemErrors,
			MeterRegistry meters) {
		this(settings, configured, installers, registry, loader::load, loader::forgetPlans, errors, systemErrors,
				meters);
	}

	/**
	 * @param builder builds one version (the loader; a fake in the lifecycle's own tests)
	 * @param forgetPlans drops a model's stored startup plans
	 */
	ModelLifecycle(RepositoryProperties settings, ServedModels configured, List<ModelInstaller> installers,
			ModelRegistry registry, VersionBuilder builder, BiConsumer<ModelRepository, String> forgetPlans,
			ErrorMetrics errors, SystemErrorMonitor systemErrors, MeterRegistry meters) {
		this.settings = settings;
		this.configured = configured;
		this.installers = List.copyOf(installers);
		this.repository = new ModelRepository(settings.path(), settings.requireReadyMarker());
		this.registry = registry;
		this.reconciler = new Reconciler(this.repository, registry, builder, errors, systemErrors, meters);
		this.forgetPlans = forgetPlans;
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
	 * Starts preparing the default model (when missing) and loading what every served
	 * model's policy selects, in the background, to overlap the rest of the server's
	 * startup; {@link #start()} waits for it. Later calls do nothing.
	 */
	public synchronized void begin() {
		if (this.initialLoad != null) {
			return;
		}
		this.initialLoad = submit(() -> {
			Files.createDirectories(this.repository.root());
			if (this.settings.installDefaultModel()) {
				for (ModelInstaller installer : this.installers) {
					if (this.served.containsKey(installer.model())) {
						installer.installIfMissing(this.repository.root());
					}
				}
			}
			pollAll();
			return null;
		});
	}

	/**
	 * Waits for the first load {@link #begin()} started (starting it if it has not), then
	 * polls at the configured interval.
	 */
	public void start() throws IOException {
		begin();
		try {
			this.initialLoad.join();
		}
		catch (CompletionException ex) {
			if (ex.getCause() instanceof IOException failure) {
				throw failure;
			}
			throw (ex.getCause() instanceof RuntimeException failure) ? failure : ex;
		}
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
			this.reconciler.forgetFailures(model);
			reconcile(model, false);
			boolean ready = this.registry.isReady(model);
			ServedModels.Settings own = this.configured.models().get(model);
			if (!ready && (own == null || !own.enabled())) {
				// Nothing of it could be built: it is not served, and readiness is
				// untouched.
				this.served.remove(model);
				this.registry.deregister(model);
			}
			return ready;
		});
	}

	/**
	 * Builds every selected version of a model again, also those already loaded, and
	 * swaps each new build in for the old one (double-buffered). With {@code retune},
	 * each version's stored startup plan is dropped first, so that the startup step
	 * measures it again.
	 */
	public CompletableFuture<Boolean> reload(String model, boolean retune) {
		return submit(() -> {
			requireServed(model);
			if (retune) {
				this.forgetPlans.accept(this.repository, model);
			}
			this.reconciler.forgetFailures(model);
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
				this.reconciler.unloadVersion(model, version);
			}
			this.registry.deregister(model);
			this.reconciler.forgetFailures(model);
			return null;
		});
	}

	/**
	 * The last standing build failure of a model's versions (explains a load); or null.
	 */
	public RuntimeException lastFailure(String model) {
		return this.reconciler.lastFailure(model);
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

	/** Brings one served model in step with its settings; on the lifecycle's thread. */
	private void reconcile(String model, boolean rebuild) {
		this.reconciler.reconcile(model, this.served.get(model), rebuild);
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

	private <T> CompletableFuture<T> submit(Callable<T> work) {
		return CompletableFuture.supplyAsync(() -> {
			try {
				return work.call();
			}
			catch (Exception ex) {
				throw (ex instanceof CompletionException completion) ? completion : new CompletionException(ex);
			}
		}, this.thread);
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
