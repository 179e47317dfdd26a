package io.eino.serving.model;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models this process serves, each with its loaded versions; the highest loaded
 * version takes the traffic that names no version, and the others answer version-pinned
 * requests and stand by as fallbacks.
 *
 * <p>
 * Publishing a version adds it atomically; {@link #unload unloading} one stops its new
 * work, drains what it has in flight, and closes it. Callers {@link #lease lease} a
 * version for the length of one piece of work and release it afterwards. Thread safe.
 */
public final class ModelRegistry implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ModelRegistry.class);

	private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

	private final Map<String, Slot> slots = new ConcurrentHashMap<>();

	private static final class Slot {

		private final AtomicReference<ModelVersion> serving = new AtomicReference<>();

		private final NavigableMap<Long, ModelVersion> loaded = new ConcurrentSkipListMap<>();

		private final NavigableMap<Long, VersionStatus> statuses = new ConcurrentSkipListMap<>();

	}

	/** Declares a configured model; it serves once a version is published. */
	public void register(String model) {
		this.slots.putIfAbsent(model, new Slot());
	}

	public Set<String> models() {
		return new TreeSet<>(this.slots.keySet());
	}

	public boolean contains(String model) {
		return this.slots.containsKey(model);
	}

	public void loading(String model, long version) {
		slot(model).statuses.put(version, new VersionStatus(version, ModelState.LOADING, ""));
	}

	public void failed(String model, long version, String error) {
		slot(model).statuses.put(version, new VersionStatus(version, ModelState.END, error));
	}

	/**
	 * Adds a loaded version; it takes the model's unpinned traffic when it is the highest
	 * loaded. A version of the same number that was loaded before is drained and closed.
	 */
	public synchronized void publish(ModelVersion version) {
		Slot slot = slot(version.model());
		ModelVersion replaced = slot.loaded.put(version.version(), version);
		slot.serving.set(slot.loaded.lastEntry().getValue());
		slot.statuses.put(version.version(), new VersionStatus(version.version(), ModelState.AVAILABLE, ""));
		logger.info("Model '{}' version {} is loaded; version {} takes unpinned traffic", version.model(),
				version.version(), slot.serving.get().version());
		if (replaced != null && replaced != version) {
			retire(replaced);
		}
	}

	/** Stops routing to a version, drains its in-flight work and closes it. */
	public synchronized void unload(String model, long version) {
		Slot slot = slot(model);
		ModelVersion removed = slot.loaded.remove(version);
		if (removed == null) {
			throw new ModelNotFoundException("Version " + version + " of model '" + model + "' is not loaded");
		}
		Map.Entry<Long, ModelVersion> highest = slot.loaded.lastEntry();
		slot.serving.set((highest != null) ? highest.getValue() : null);
		slot.statuses.remove(version);
		retire(removed);
	}

	/**
	 * The loaded versions of a model below {@code version}, highest first: the candidates
	 * to fall back to when it fails.
	 */
	public List<Long> versionsBelow(String model, long version) {
		return List.copyOf(slot(model).loaded.headMap(version, false).descendingKeySet());
	}

	/**
	 * The version for one piece of work, acquired: the caller must
	 * {@link ModelVersion#release()} it.
	 * @param model the model name
	 * @param version a specific version, or null for the serving one
	 * @throws ModelNotFoundException if the model is not configured, or the version is
	 * not loaded
	 * @throws ModelUnavailableException if no version serves yet
	 */
	public ModelVersion lease(String model, Long version) {
		Slot slot = this.slots.get(model);
		if (slot == null) {
			throw new ModelNotFoundException("Model '" + model + "' is not served here");
		}
		while (true) {
			ModelVersion serving = (version != null) ? slot.loaded.get(version) : slot.serving.get();
			if (serving == null && version == null) {
				throw new ModelUnavailableException("Model '" + model + "' has no version ready to serve");
			}
			if (serving == null) {
				throw new ModelNotFoundException("Version " + version + " of model '" + model + "' is not loaded");
			}
			serving.acquire();
			ModelVersion current = (version != null) ? slot.loaded.get(version) : slot.serving.get();
			if (current == serving) {
				return serving;
			}
			// Swapped between the read and the acquire: let the old version drain and
			// retry.
			serving.release();
		}
	}

	/** The serving version, without acquiring it (for metadata). */
	public ModelVersion serving(String model, Long version) {
		ModelVersion leased = lease(model, version);
		leased.release();
		return leased;
	}

	public List<VersionStatus> status(String model) {
		Slot slot = this.slots.get(model);
		if (slot == null) {
			throw new ModelNotFoundException("Model '" + model + "' is not served here");
		}
		return List.copyOf(slot.statuses.descendingMap().values());
	}

	public boolean isReady(String model) {
		Slot slot = this.slots.get(model);
		return slot != null && slot.serving.get() != null;
	}

	public boolean allReady() {
		return !this.slots.isEmpty() && this.slots.keySet().stream().allMatch(this::isReady);
	}

	private Slot slot(String model) {
		Slot slot = this.slots.get(model);
		if (slot == null) {
			throw new ModelNotFoundException("Model '" + model + "' is not served here");
		}
		return slot;
	}

	private static void retire(ModelVersion version) {
		long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
		while (version.inFlight() > 0 && System.nanoTime() < deadline) {
			try {
				Thread.sleep(5);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		if (version.inFlight() > 0) {
			logger.warn("Model '{}' version {} still had {} requests in flight after {}; closing it", version.model(),
					version.version(), version.inFlight(), DRAIN_TIMEOUT);
		}
		version.close();
		logger.info("Model '{}' version {} retired", version.model(), version.version());
	}

	@Override
	public synchronized void close() {
		for (Slot slot : this.slots.values()) {
			slot.serving.set(null);
			for (ModelVersion version : slot.loaded.values()) {
				retire(version);
			}
			slot.loaded.clear();
		}
	}

}
