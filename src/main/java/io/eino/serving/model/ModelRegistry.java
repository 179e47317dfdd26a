package io.eino.serving.model;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models this process serves, each with its loaded versions; the highest loaded
 * version takes the traffic that names no version, and the others answer version-pinned
 * requests and stand by as fallbacks.
 *
 * <p>
 * Publishing a version adds it atomically (the double-buffered swap: the new build is
 * complete before it is published); {@link #unload unloading} one stops its new work,
 * drains what it has in flight, and closes it. Callers {@link #lease lease} a version for
 * the length of one piece of work and release it afterwards. Thread safe.
 */
public final class ModelRegistry implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ModelRegistry.class);

	private final Map<String, Slot> slots = new ConcurrentHashMap<>();

	private final List<BiConsumer<String, Long>> retiredListeners = new CopyOnWriteArrayList<>();

	private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

	private static final class Slot {

		private final AtomicReference<PublishedVersion> serving = new AtomicReference<>();

		private final NavigableMap<Long, PublishedVersion> loaded = new ConcurrentSkipListMap<>();

		private final NavigableMap<Long, VersionStatus> statuses = new ConcurrentSkipListMap<>();

	}

	/** Declares a configured model; it serves once a version is published. */
	public void register(String model) {
		this.slots.putIfAbsent(model, new Slot());
	}

	/** Forgets a model that has no version loaded any more (unloaded on request). */
	public synchronized void deregister(String model) {
		Slot slot = this.slots.get(model);
		if (slot != null && slot.loaded.isEmpty()) {
			this.slots.remove(model);
		}
		changed();
	}

	public Set<String> models() {
		return new TreeSet<>(this.slots.keySet());
	}

	public boolean contains(String model) {
		return this.slots.containsKey(model);
	}

	/**
	 * Calls {@code listener} with the model and version number once the last build of a
	 * version has been retired (closed with no build of that number left loaded).
	 */
	public void onRetired(BiConsumer<String, Long> listener) {
		this.retiredListeners.add(listener);
	}

	/** Calls {@code listener} after any version's status changed. */
	public void onChange(Runnable listener) {
		this.changeListeners.add(listener);
	}

	private void changed() {
		this.changeListeners.forEach(Runnable::run);
	}

	/** Marks a version as being built; a loaded build of that number keeps its status. */
	public void loading(String model, long version) {
		Slot slot = slot(model);
		if (!slot.loaded.containsKey(version)) {
			slot.statuses.put(version, new VersionStatus(version, ModelState.LOADING, ""));
		}
		changed();
	}

	/**
	 * Records why a build failed. When a build of that number is loaded, it keeps serving
	 * and its status carries the error; otherwise the version is {@code END}.
	 */
	public void failed(String model, long version, String error) {
		Slot slot = slot(model);
		ModelState state = slot.loaded.containsKey(version) ? ModelState.AVAILABLE : ModelState.END;
		String detail = (state == ModelState.AVAILABLE) ? "a new build failed; the loaded one serves on: " + error
				: error;
		slot.statuses.put(version, new VersionStatus(version, state, detail));
		changed();
	}

	/** Forgets the status of a version that is not loaded (its directory is gone). */
	public void forget(String model, long version) {
		Slot slot = slot(model);
		if (!slot.loaded.containsKey(version)) {
			slot.statuses.remove(version);
		}
		changed();
	}

	/** The version numbers loaded now, ascending. */
	public List<Long> loadedVersions(String model) {
		return List.copyOf(slot(model).loaded.keySet());
	}

	/**
	 * Adds a loaded version in one atomic step; it takes the model's unpinned traffic
	 * when it is the highest loaded. A build of the same number that was loaded before
	 * stops taking new work at once, then drains its in-flight work and is closed.
	 */
	public void publish(PublishedVersion version) {
		PublishedVersion replaced;
		synchronized (this) {
			Slot slot = slot(version.model());
			replaced = slot.loaded.put(version.version(), version);
			slot.serving.set(slot.loaded.lastEntry().getValue());
			slot.statuses.put(version.version(), new VersionStatus(version.version(), ModelState.AVAILABLE, ""));
			logger.info("Model '{}' version {} is loaded; version {} takes unpinned traffic", version.model(),
					version.version(), slot.serving.get().version());
		}
		changed();
		if (replaced != null && replaced != version) {
			retire(replaced, false);
		}
	}

	/**
	 * Stops routing to a version at once, then drains its in-flight work and closes it
	 * (the caller waits for that).
	 */
	public void unload(String model, long version) {
		PublishedVersion removed;
		Slot slot = slot(model);
		synchronized (this) {
			removed = slot.loaded.remove(version);
			if (removed == null) {
				throw new ModelNotFoundException("Version " + version + " of model '" + model + "' is not loaded");
			}
			Map.Entry<Long, PublishedVersion> highest = slot.loaded.lastEntry();
			slot.serving.set((highest != null) ? highest.getValue() : null);
			slot.statuses.put(version, new VersionStatus(version, ModelState.UNLOADING, ""));
		}
		changed();
		retire(removed, true);
		synchronized (this) {
			if (!slot.loaded.containsKey(version)) {
				slot.statuses.remove(version);
			}
		}
		changed();
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
	 * {@link ServingVersion#release()} it.
	 * @param model the model name
	 * @param version a specific version, or null for the serving one
	 * @throws ModelNotFoundException if the model is not configured, or the version is
	 * not loaded
	 * @throws ModelUnavailableException if no version serves yet
	 */
	public ServingVersion lease(String model, Long version) {
		Slot slot = this.slots.get(model);
		if (slot == null) {
			throw new ModelNotFoundException("Model '" + model + "' is not served here");
		}
		while (true) {
			PublishedVersion serving = (version != null) ? slot.loaded.get(version) : slot.serving.get();
			if (serving == null && version == null) {
				throw new ModelUnavailableException("Model '" + model + "' has no version ready to serve");
			}
			if (serving == null) {
				throw new ModelNotFoundException("Version " + version + " of model '" + model + "' is not loaded");
			}
			serving.acquire();
			PublishedVersion current = (version != null) ? slot.loaded.get(version) : slot.serving.get();
			if (current == serving) {
				return serving;
			}
			// Swapped between the read and the acquire: let the old version drain and
			// retry.
			serving.release();
		}
	}

	/** The serving version, without acquiring it (for metadata). */
	public ServingVersion serving(String model, Long version) {
		ServingVersion leased = lease(model, version);
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

	private void retire(PublishedVersion version, boolean last) {
		long deadline = System.nanoTime() + version.drainTimeout().toNanos();
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
					version.version(), version.inFlight(), version.drainTimeout());
		}
		version.close();
		logger.info("Model '{}' version {} retired", version.model(), version.version());
		if (last) {
			this.retiredListeners.forEach((listener) -> listener.accept(version.model(), version.version()));
		}
	}

	@Override
	public synchronized void close() {
		for (Slot slot : this.slots.values()) {
			slot.serving.set(null);
			for (PublishedVersion version : slot.loaded.values()) {
				retire(version, false);
			}
			slot.loaded.clear();
		}
	}

}
