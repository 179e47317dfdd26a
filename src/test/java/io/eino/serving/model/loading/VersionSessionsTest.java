package io.eino.serving.model.loading;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.eino.serving.TestTags;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import io.eino.serving.runtime.DenseModel;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.ModelRuntimeException;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.MetaGraphDef;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sessions of a version open on the optimised graph its plan stores, and a version
 * without one stores it ({@link VersionSessions}, {@link PlanGraphs}).
 */
@Tag(TestTags.TENSORFLOW)
class VersionSessionsTest {

	private static final String STORED = "the optimised graph an earlier start stored";

	private static final Supplier<Map<String, HostTensor>> PROBE = () -> Map.of("x",
			new HostTensor.Float32(new long[] { 2, 3 }, new float[] { 1, -2, 0.5f, 0, 1, 1 }));

	@TempDir
	Path work;

	private Path version;

	private Path plansDirectory;

	private StartupPlans plans;

	private final List<SavedModelRunner> sessions = new ArrayList<>();

	@BeforeEach
	void model() throws Exception {
		this.version = DenseModel.export(this.work.resolve("models/dense/1"));
		this.plansDirectory = this.work.resolve("plans");
		this.plans = new StartupPlans(
				(versionDirectory, modelDirectory, descriptor, tokenizer, base) -> new StartupOptimizer.Choice(base,
						List.of(), "fp32", "a fake step's choice"),
				GraphOptimization.DEFAULT, Precision.AUTO, 2, this.plansDirectory);
	}

	@AfterEach
	void close() {
		this.sessions.forEach(SavedModelRunner::close);
	}

	@Test
	void theFirstOpenStoresTheGraphEveryRunnerServesAndTheNextOpensItWithoutTheSavedModel() throws IOException {
		open("key-1", true);
		assertThat(this.sessions).hasSize(2).allMatch((session) -> session.rewrites().equals(STORED));
		Path file = graphFile("key-1");
		assertThat(file).isRegularFile();
		assertThat(MetaGraphDef.parseFrom(Files.readAllBytes(file)).getMetaInfoDef().getMetaGraphVersion())
			.isEqualTo("key-1");
		float[] expected = y(this.sessions.get(0));
		close();
		this.sessions.clear();

		// Without its SavedModel the version can only open on the stored graph.
		Files.move(this.version.resolve("saved_model.pb"), this.work.resolve("saved_model.pb"));
		open("key-1", true);
		assertThat(this.sessions).hasSize(2);
		assertThat(y(this.sessions.get(1))).containsExactly(expected);
	}

	@Test
	void aGraphStoredForAnotherPlanOrUnreadableIsMadeAgain() throws IOException {
		open("key-1", true);
		close();
		this.sessions.clear();
		// A graph made for another plan, under this plan's name, is not used.
		Path file = graphFile("key-2");
		Files.copy(graphFile("key-1"), file);
		assertThat(this.plans.graph(this.version, "key-2")).isNull();
		open("key-2", true);
		assertThat(MetaGraphDef.parseFrom(Files.readAllBytes(file)).getMetaInfoDef().getMetaGraphVersion())
			.isEqualTo("key-2");
		assertThat(this.plans.graph(this.version, "key-1")).isNotNull();
		close();
		this.sessions.clear();

		Files.write(file, new byte[] { 1, 2, 3 });
		assertThat(this.plans.graph(this.version, "key-2")).isNull();
		open("key-2", true);
		assertThat(this.sessions).allMatch((session) -> session.rewrites().equals(STORED));
		assertThat(this.plans.graph(this.version, "key-2")).isNotNull();
	}

	@Test
	void aPlanChosenAgainForTheSameKeyDropsTheGraphOfTheOldOne() {
		open("key-1", true);
		assertThat(this.plans.graph(this.version, "key-1")).isNotNull();
		this.plans.tune(this.version, "key-1", this.version.getParent(), this.version, null, null,
				SessionSettings.DEFAULT);
		assertThat(this.plans.graph(this.version, "key-1")).isNull();
	}

	@Test
	void aSealedPackagesGraphIsNeverStored() {
		open("key-1", false);
		assertThat(this.sessions).hasSize(2).noneMatch((session) -> session.rewrites().equals(STORED));
		assertThat(graphFile("key-1")).doesNotExist();
	}

	@Test
	void aVersionThatCannotBeOptimisedStoresNothingAndStillOpens() {
		SessionSettings asLoaded = SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false);
		VersionSessions.open(this.sessions, 1, this.version, asLoaded, this.plans, this.version, "key-1", true, PROBE);
		assertThat(this.sessions).hasSize(1);
		assertThat(this.sessions.get(0).frozen()).isFalse();
		assertThat(graphFile("key-1")).doesNotExist();
	}

	@Test
	void forgettingThePlanRemovesItsGraphAndTheGraphIsNoPartOfTheKey() throws Exception {
		Path models = this.work.resolve("repository");
		Path copy = DenseModel.export(models.resolve("dense/1"));
		StartupPlans besideTheVersions = new StartupPlans(
				(versionDirectory, modelDirectory, descriptor, tokenizer, base) -> null, GraphOptimization.DEFAULT,
				Precision.AUTO, 2);
		String key = besideTheVersions.key(copy, models.resolve("dense"), null, SessionSettings.DEFAULT);
		VersionSessions.open(this.sessions, 1, copy, SessionSettings.DEFAULT, besideTheVersions, copy, key, true,
				PROBE);
		assertThat(PlanGraphs.file(copy, key)).isRegularFile();
		assertThat(besideTheVersions.key(copy, models.resolve("dense"), null, SessionSettings.DEFAULT)).isEqualTo(key);
		besideTheVersions.forget(List.of(copy));
		assertThat(PlanGraphs.file(copy, key)).doesNotExist();
	}

	@Test
	void aBrokenSavedModelStillFailsAsBefore() throws IOException {
		Files.delete(this.version.resolve("saved_model.pb"));
		assertThatThrownBy(() -> open("key-1", true)).isInstanceOf(ModelRuntimeException.class)
			.hasMessageContaining("No saved_model.pb");
	}

	private Path graphFile(String key) {
		return PlanGraphs.file(this.plansDirectory.resolve("dense/1"), key);
	}

	private void open(String key, boolean storable) {
		VersionSessions.open(this.sessions, 2, this.version, SessionSettings.DEFAULT, this.plans, this.version, key,
				storable, PROBE);
	}

	private static float[] y(SavedModelRunner runner) {
		return ((HostTensor.Float32) runner.run("serving_default", PROBE.get(), List.of("y")).get("y")).values();
	}

}
