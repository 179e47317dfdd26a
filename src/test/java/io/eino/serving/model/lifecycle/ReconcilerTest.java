package io.eino.serving.model.lifecycle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ModelState;
import io.eino.serving.model.ServedModels;
import io.eino.serving.model.StubVersion;
import io.eino.serving.model.VersionStatus;
import io.eino.serving.model.loading.ModelLoadException;
import io.eino.serving.repository.ModelRepository;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reconciler's decisions on a repository of version directories, with a fake builder
 * in place of TensorFlow: which versions the policy builds, that an unchanged version is
 * not built again, that a failed build is not retried until its files change, what is
 * unloaded, and that a model never loses its last serving version while its directory is
 * still there.
 */
class ReconcilerTest {

	private static final String MODEL = "reviews";

	@TempDir
	Path root;

	private final ModelRegistry registry = new ModelRegistry();

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final List<Long> built = new ArrayList<>();

	private final List<Long> failing = new ArrayList<>();

	private Reconciler reconciler() {
		VersionBuilder builder = (model, directory, version, settings) -> {
			this.built.add(version);
			if (this.failing.contains(version)) {
				throw new ModelLoadException(model, version, ModelLoadException.Step.LOAD,
						new IllegalStateException("not a SavedModel"));
			}
			return new StubVersion(model, version);
		};
		return new Reconciler(new ModelRepository(this.root, true), this.registry, builder,
				new ErrorMetrics(this.meters), new SystemErrorMonitor(10, Duration.ofMinutes(1), System::nanoTime),
				this.meters);
	}

	@Test
	void theLatestReadyVersionIsBuiltOnceAndAHalfCopiedOneNever() throws IOException {
		version(1, true);
		version(2, true);
		version(3, false);
		Reconciler reconciler = reconciler();
		reconciler.reconcile(MODEL, ServedModels.Settings.defaults(), false);
		assertThat(this.built).containsExactly(2L);
		assertThat(this.registry.loadedVersions(MODEL)).containsExactly(2L);
		reconciler.reconcile(MODEL, ServedModels.Settings.defaults(), false);
		assertThat(this.built).as("unchanged: not built again").containsExactly(2L);
		reconciler.reconcile(MODEL, ServedModels.Settings.defaults(), true);
		assertThat(this.built).as("a rebuild").containsExactly(2L, 2L);
	}

	@Test
	void aFailedBuildKeepsTheServingVersionAndIsRetriedOnlyWhenItsFilesChange() throws IOException {
		version(1, true);
		Reconciler reconciler = reconciler();
		reconciler.reconcile(MODEL, ServedModels.Settings.defaults(), false);
		this.failing.add(2L);
		Path second = version(2, true);
		reconciler.reconcile(MODEL, ServedModels.Settings.defaults(), false);
		assertThat(this.built).containsExactly(1L, 2L);
		assertThat(this.registry.loadedVersions(MODEL)).as("the policy's choice failed: 1 keeps serving")
			.containsExactly(1L);
		assertThat(status(2).state()).isEqualTo(ModelState.END);
		assertThat(reconciler.lastFailure(MODEL)).hasMessageContaining("failed at load");
		assertThat(this.meters.get("eino.model.load.failures").tags("step", "load").counter().count()).isEqualTo(1);

		reconciler.reconcile(MODEL, ServedModels.Settings.defaults(), false);
		assertThat(this.built).as("not tried again").containsExactly(1L, 2L);

		this.failing.clear();
		Files.setLastModifiedTime(second.resolve(ModelRepository.READY_MARKER),
				FileTime.fromMillis(System.currentTimeMillis() + 60_000));
		reconciler.reconcile(MODEL, ServedModels.Settings.defaults(), false);
		assertThat(this.built).as("its files changed: tried again").containsExactly(1L, 2L, 2L);
		assertThat(this.registry.loadedVersions(MODEL)).as("2 serves, 1 is unloaded").containsExactly(2L);
	}

	@Test
	void aPolicyOfAllLoadsEveryReadyVersionAndARemovedOneIsUnloaded() throws IOException {
		ServedModels.Settings all = new ServedModels.Settings(true, null, null, null, null, null,
				new ServedModels.VersionPolicy(ServedModels.VersionPolicy.Kind.ALL, 1, List.of()));
		version(1, true);
		Path second = version(2, true);
		Reconciler reconciler = reconciler();
		reconciler.reconcile(MODEL, all, false);
		assertThat(this.registry.loadedVersions(MODEL)).containsExactly(1L, 2L);
		StubVersion two = (StubVersion) this.registry.serving(MODEL, 2L);
		delete(second);
		reconciler.reconcile(MODEL, all, false);
		assertThat(this.registry.loadedVersions(MODEL)).containsExactly(1L);
		assertThat(two.inFlight()).isZero();
		assertThat(this.registry.status(MODEL)).extracting(VersionStatus::version).doesNotContain(2L);
	}

	@Test
	void aModelWithNoReadyVersionIsMarkedFailed() throws IOException {
		Files.createDirectories(this.root.resolve(MODEL));
		version(1, false);
		reconciler().reconcile(MODEL, ServedModels.Settings.defaults(), false);
		assertThat(this.built).isEmpty();
		assertThat(status(0).error()).contains("no ready version");
	}

	@Test
	void selectionFollowsThePolicy() {
		List<Long> present = List.of(3L, 1L, 2L);
		assertThat(Reconciler.select(ServedModels.Settings.defaults().versionPolicy(), present)).containsExactly(3L);
		assertThat(Reconciler
			.select(new ServedModels.VersionPolicy(ServedModels.VersionPolicy.Kind.LATEST, 2, List.of()), present))
			.containsExactly(2L, 3L);
		assertThat(Reconciler.select(
				new ServedModels.VersionPolicy(ServedModels.VersionPolicy.Kind.SPECIFIC, 1, List.of(1L, 7L)), present))
			.containsExactly(1L);
	}

	private Path version(long number, boolean ready) throws IOException {
		Path directory = Files.createDirectories(this.root.resolve(MODEL).resolve(Long.toString(number)));
		Files.writeString(directory.resolve("saved_model.pb"), "graph " + number);
		if (ready) {
			Files.createFile(directory.resolve(ModelRepository.READY_MARKER));
		}
		return directory;
	}

	private VersionStatus status(long version) {
		return this.registry.status(MODEL)
			.stream()
			.filter((status) -> status.version() == version)
			.findFirst()
			.orElseThrow();
	}

	private static void delete(Path directory) throws IOException {
		try (var files = Files.walk(directory)) {
			for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
				Files.delete(file);
			}
		}
	}

}
