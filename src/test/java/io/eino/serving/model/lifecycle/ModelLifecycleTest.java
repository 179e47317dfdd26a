package io.eino.serving.model.lifecycle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServedModels;
import io.eino.serving.model.StubVersion;
import io.eino.serving.model.loading.ModelLoadException;
import io.eino.serving.repository.ModelInstaller;
import io.eino.serving.repository.ModelRepository;
import io.eino.serving.repository.RepositoryProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The lifecycle's control requests over a fake builder (no TensorFlow): the first start
 * installs what ships and loads what is served; a model loaded on request is served only
 * if a version of it could be built; a reload with retuning drops the plans first and
 * builds again; an unloaded model is left alone by later polls. No polling thread runs
 * (the interval is 0), so every step is one request, waited for.
 */
class ModelLifecycleTest {

	@TempDir
	Path root;

	private final ModelRegistry registry = new ModelRegistry();

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final List<String> built = new CopyOnWriteArrayList<>();

	private final List<String> failing = new CopyOnWriteArrayList<>();

	private final List<String> plansForgotten = new CopyOnWriteArrayList<>();

	private ModelLifecycle lifecycle;

	@AfterEach
	void close() {
		if (this.lifecycle != null) {
			this.lifecycle.close();
		}
	}

	@Test
	void theFirstStartInstallsWhatShipsAndServesItsLatestVersion() throws IOException {
		List<Path> installedInto = new CopyOnWriteArrayList<>();
		ModelInstaller installer = new ModelInstaller() {

			@Override
			public String model() {
				return "shipped";
			}

			@Override
			public boolean installIfMissing(Path repository) throws IOException {
				installedInto.add(repository);
				version(repository, "shipped", 1);
				version(repository, "shipped", 2);
				return true;
			}

		};
		this.lifecycle = lifecycle(Map.of("shipped", ServedModels.Settings.defaults()), List.of(installer));
		this.lifecycle.start();
		assertThat(installedInto).containsExactly(this.root);
		assertThat(this.built).containsExactly("shipped@2");
		assertThat(this.registry.isReady("shipped")).isTrue();
		assertThat(this.lifecycle.serves("shipped")).isTrue();
	}

	@Test
	void aModelLoadedOnRequestIsServedOnlyWhenAVersionOfItCouldBeBuilt() throws Exception {
		version(this.root, "extra", 1);
		version(this.root, "broken", 1);
		this.failing.add("broken@1");
		this.lifecycle = lifecycle(Map.of(), List.of());
		this.lifecycle.start();
		assertThat(this.lifecycle.serves("extra")).as("not configured: not served at start").isFalse();

		assertThat(this.lifecycle.load("extra").get(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.lifecycle.serves("extra")).isTrue();
		assertThat(this.registry.loadedVersions("extra")).containsExactly(1L);

		assertThat(this.lifecycle.load("broken").get(10, TimeUnit.SECONDS)).isFalse();
		assertThat(this.lifecycle.serves("broken")).as("nothing of it built: not served").isFalse();
		assertThat(this.registry.contains("broken")).isFalse();
		assertThat(this.lifecycle.lastFailure("broken")).hasMessageContaining("failed at load");

		assertThatThrownBy(() -> this.lifecycle.load("nowhere").join()).isInstanceOf(CompletionException.class)
			.hasCauseInstanceOf(ModelNotFoundException.class);
		assertThat(this.lifecycle.knownModels()).containsExactly("broken", "extra");
	}

	@Test
	void aReloadWithRetuningDropsThePlansFirstAndBuildsAgain() throws Exception {
		version(this.root, "served", 1);
		this.lifecycle = lifecycle(Map.of("served", ServedModels.Settings.defaults()), List.of());
		this.lifecycle.start();
		StubVersion first = (StubVersion) this.registry.serving("served", 1L);

		assertThat(this.lifecycle.reload("served", false).get(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.plansForgotten).isEmpty();
		assertThat(this.lifecycle.reload("served", true).get(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.plansForgotten).containsExactly("served");
		assertThat(this.built).containsExactly("served@1", "served@1", "served@1");
		assertThat(this.registry.serving("served", 1L)).as("a new build swapped in").isNotSameAs(first);
		assertThat(first.inFlight()).isZero();
	}

	@Test
	void anUnloadedModelIsLeftAloneByLaterPolls() throws Exception {
		version(this.root, "served", 1);
		this.lifecycle = lifecycle(Map.of("served", ServedModels.Settings.defaults()), List.of());
		this.lifecycle.start();
		this.lifecycle.unload("served").get(10, TimeUnit.SECONDS);
		assertThat(this.registry.contains("served")).isFalse();
		assertThat(this.lifecycle.serves("served")).isFalse();

		version(this.root, "served", 2);
		this.lifecycle.poll().get(10, TimeUnit.SECONDS);
		assertThat(this.built).as("polls skip it").containsExactly("served@1");
		assertThatThrownBy(() -> this.lifecycle.reload("served", false).join())
			.hasCauseInstanceOf(ModelNotFoundException.class);
		assertThat(this.lifecycle.load("served").get(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.registry.loadedVersions("served")).as("loaded again: its latest").containsExactly(2L);
	}

	private ModelLifecycle lifecycle(Map<String, ServedModels.Settings> configured, List<ModelInstaller> installers) {
		VersionBuilder builder = (model, directory, version, settings) -> {
			this.built.add(model + "@" + version);
			if (this.failing.contains(model + "@" + version)) {
				throw new ModelLoadException(model, version, ModelLoadException.Step.LOAD,
						new IllegalStateException("not a SavedModel"));
			}
			return new StubVersion(model, version);
		};
		RepositoryProperties settings = new RepositoryProperties(this.root, true, Duration.ZERO, true,
				new RepositoryProperties.HealthCheck(Duration.ofSeconds(1), 0), Duration.ofSeconds(1));
		configured.keySet().forEach(this.registry::register);
		return new ModelLifecycle(settings, new ServedModels(configured), installers, this.registry, builder,
				(repository, model) -> this.plansForgotten.add(model), new ErrorMetrics(this.meters),
				new SystemErrorMonitor(10, Duration.ofMinutes(1), System::nanoTime), this.meters);
	}

	private static void version(Path repository, String model, long number) throws IOException {
		Path directory = Files.createDirectories(repository.resolve(model).resolve(Long.toString(number)));
		Files.writeString(directory.resolve("saved_model.pb"), "graph " + number);
		Files.createFile(directory.resolve(ModelRepository.READY_MARKER));
	}

}
