package io.eino.serving.model.loading;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import io.eino.serving.batching.BatchCostModel;
import io.eino.serving.graph.ActivationRanges;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.GrapplerPass;
import io.eino.serving.graph.Precision;
import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.MetaGraphDef;

/**
 * The startup step's plans, stored with each version ({@value #FILE_NAME} in its
 * directory) and reused on the next start: the chosen graph and precision and the report
 * of how they were chosen. A plan is keyed by the version's content (every file of the
 * version and the model's own files), this CPU's features, the session settings (thread
 * layout, runners, GPU options, graph optimisation level and precision), TensorFlow's
 * version and this build of the service; when any of them changes the step runs again and
 * its plan becomes the newest, the plans of up to three other keys kept beside it
 * ({@link PlanHome}). Deleting the files, or a reload with {@code retune}, tunes the
 * version again. Beside each plan lies the graph it serves, optimised
 * ({@link PlanGraphs}). A new version with the same files takes its sibling's plan; one
 * with other weights of the same structure ({@link PlanKey#structureOf}) its sibling's
 * decision, once its own outputs pass the step's checks ({@link StartupTuner}). Plans lie
 * beside the versions, or in a directory of their own
 * ({@code eino.runtime.plan-directory}, as {@code <model>/<version>/}{@value #FILE_NAME})
 * where the repository is read-only, as the model baked into the container image is. A
 * plan that cannot be written costs only the reuse: the version is tuned on every start,
 * as without plans.
 */
final class StartupPlans {

	static final String FILE_NAME = "startup-plan.json";

	/** Bumped whenever what a plan holds, or how it is chosen, changes. */
	private static final int FORMAT = 1;

	private static final Logger logger = LoggerFactory.getLogger(StartupPlans.class);

	private final Tuner optimizer;

	/** The startup step itself ({@link StartupOptimizer#choose}); a fake one in tests. */
	@FunctionalInterface
	interface Tuner {

		StartupOptimizer.Choice choose(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor,
				TextTokenizer tokenizer, SessionSettings base);

		/**
		 * The decision {@code sibling}'s timings give for this version, {@code sibling}
		 * being the plan of another version with the same structure (its
		 * {@code stepsMeasured} saying which): the first candidate they found fast enough
		 * whose outputs pass the step's checks here, the sibling's own first
		 * ({@link StartupTuner}); null when this version cannot be decided so (it has no
		 * texts to check the sibling's reduced precision on), and the step runs.
		 */
		default StartupOptimizer.Choice adopt(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor,
				TextTokenizer tokenizer, SessionSettings base, Plan sibling) {
			return null;
		}

	}

	private final PlanKey keys;

	/** Where plans lie instead of beside the versions; null: beside them. */
	private final Path directory;

	/**
	 * A stored plan.
	 *
	 * @param key what it was chosen for (a SHA-256 of content and environment)
	 * @param created when
	 * @param optimization the chosen graph optimisation level
	 * @param bfloat16 whether bf16 serves
	 * @param int8 whether int8 weight products serve
	 * @param skipped Grappler passes left out
	 * @param precision fp32, bf16 or int8
	 * @param reason why
	 * @param steps the step's report when it chose
	 * @param costModel the batch cost model the warm-up measured with the chosen
	 * settings; null until it has
	 * @param int8Ranges with int8, the calibrated activation ranges its products are
	 * smoothed with, per product input and channel ({@link ActivationRanges})
	 * @param structure the key of the version's structure ({@link PlanKey#structureOf}),
	 * by which another version with other weights takes the decision; null in plans
	 * stored before it was kept
	 * @param stepsMeasured where the steps were timed when another version's start timed
	 * them ({@code on version 5 at …}); null when this version's start did, at
	 * {@code created}
	 */
	record Plan(String key, String created, GraphOptimization optimization, boolean bfloat16, boolean int8,
			Set<GrapplerPass> skipped, String precision, String reason, List<OptimizationReport.Step> steps,
			BatchCostModel costModel, Map<String, float[]> int8Ranges, String structure, String stepsMeasured) {

		/**
		 * This plan, of the version in {@code versionDirectory}, as another version of
		 * the model takes it: saying where its steps were timed.
		 */
		Plan takenFrom(Path versionDirectory) {
			return new Plan(this.key, this.created, this.optimization, this.bfloat16, this.int8, this.skipped,
					this.precision, this.reason, this.steps, this.costModel, this.int8Ranges, this.structure,
					(this.stepsMeasured != null) ? this.stepsMeasured
							: "on version " + versionDirectory.getFileName() + " at " + this.created);
		}

		SessionSettings settings(SessionSettings base) {
			SessionSettings settings = base.withOptimization(this.optimization, this.bfloat16);
			if (this.int8) {
				settings = settings.withInt8(
						(this.int8Ranges != null) ? new ActivationRanges(this.int8Ranges) : ActivationRanges.NONE);
			}
			for (GrapplerPass pass : this.skipped) {
				settings = settings.without(pass);
			}
			return settings;
		}

	}

	StartupPlans(Tuner optimizer, GraphOptimization level, Precision precision, int instances) {
		this(optimizer, level, precision, instances, null);
	}

	/**
	 * @param directory where plans lie, as {@code <model>/<version>/}; null: in each
	 * version's own directory
	 */
	StartupPlans(Tuner optimizer, GraphOptimization level, Precision precision, int instances, Path directory) {
		this.optimizer = optimizer;
		this.keys = new PlanKey(FORMAT, level, precision, instances);
		this.directory = directory;
	}

	/** The directory that holds the plan of the version stored in {@code stored}. */
	private Path home(Path stored) {
		if (this.directory == null) {
			return stored;
		}
		Path version = stored.toAbsolutePath();
		return this.directory.resolve(version.getParent().getFileName().toString())
			.resolve(version.getFileName().toString());
	}

	/**
	 * The stored plan of the version, when it was chosen for what the version and this
	 * service are now ({@code key}); null when there is none.
	 * @param stored the version's directory in the repository (a sealed package's too)
	 */
	StartupOptimizer.Choice reuse(Path stored, String key, SessionSettings base) {
		PlanHome home = new PlanHome(home(stored));
		PlanHome.Found found = home.find(key);
		if (found == null) {
			if (Files.isRegularFile(home.current())) {
				logger.info("The startup plan of {} was chosen for other content or settings", stored);
			}
			// A new version with the same files as another (a copy under a new number,
			// a rollback) takes that version's plan.
			PlanHome.Found sibling = sibling(home.directory(), key);
			if (sibling == null) {
				return null;
			}
			Plan taken = sibling.plan().takenFrom(sibling.file().getParent());
			home.store(taken);
			PlanGraphs.share(sibling.file().getParent(), home.directory(), key);
			found = new PlanHome.Found(home.current(), taken);
		}
		Plan plan = found.plan();
		logger.info("Reusing the startup plan of {} ({}, {}): {}", stored, found.file(), plan.created(), plan.reason());
		return new StartupOptimizer.Choice(plan.settings(base), plan.steps(), plan.precision(),
				plan.reason() + " (plan of " + plan.created() + " reused)", plan.costModel(),
				(plan.stepsMeasured() != null) ? plan.stepsMeasured() : "at the start of " + plan.created());
	}

	/** The plan another version of the model stores for {@code key}, or null. */
	private static PlanHome.Found sibling(Path stored, String key) {
		PlanHome.Found found = inSiblings(stored, (home) -> home.find(key));
		if (found != null) {
			logger.info("{} has the same files as {}: its startup plan serves both", stored, found.file().getParent());
		}
		return found;
	}

	/** The first plan {@code find} finds in another version of the model, or null. */
	private static PlanHome.Found inSiblings(Path stored, Function<PlanHome, PlanHome.Found> find) {
		Path model = stored.toAbsolutePath().getParent();
		if (model == null) {
			return null;
		}
		try (Stream<Path> versions = Files.list(model)) {
			for (Path version : versions.filter(Files::isDirectory)
				.filter((version) -> !version.equals(stored.toAbsolutePath()))
				.sorted()
				.toList()) {
				PlanHome.Found found = find.apply(new PlanHome(version));
				if (found != null) {
					return found;
				}
			}
		}
		catch (IOException ex) {
			logger.debug("Could not look for plans beside {}: {}", stored, ex.getMessage());
		}
		return null;
	}

	/**
	 * Runs the startup step and stores its choice as the version's plan; or, where
	 * another version of the model has the same structure and a plan for it, takes that
	 * plan's decision when this version's outputs pass the step's checks with it.
	 * @param versionDirectory where the SavedModel lies (the decrypted copy of a package)
	 */
	StartupOptimizer.Choice tune(Path stored, String key, Path modelDirectory, Path versionDirectory,
			ModelDescriptor descriptor, TextTokenizer tokenizer, SessionSettings base) {
		// The SavedModel as it runs: a sealed version's decrypted copy, not its package.
		String structure = this.keys.structureOf(versionDirectory, modelDirectory, descriptor, base);
		PlanHome.Found sibling = inSiblings(home(stored), (home) -> home.findStructure(structure));
		StartupOptimizer.Choice choice = (sibling != null) ? this.optimizer.adopt(versionDirectory, modelDirectory,
				descriptor, tokenizer, base, sibling.plan().takenFrom(sibling.file().getParent())) : null;
		if (sibling != null) {
			logger.info(
					(choice != null) ? "{} has the structure of {}: decided on its timings, {} served"
							: "{} has the structure of {}, but no evaluation texts to check its decision on: tuning",
					stored, sibling.file().getParent(), (choice != null) ? choice.precision() : null);
		}
		if (choice == null) {
			choice = this.optimizer.choose(versionDirectory, modelDirectory, descriptor, tokenizer, base);
		}
		SessionSettings settings = choice.settings();
		new PlanHome(home(stored)).store(new Plan(key, Instant.now().toString(), settings.optimization(),
				settings.bfloat16(), settings.int8(), settings.skipped(), choice.precision(), choice.precisionReason(),
				choice.steps(), null, settings.int8() ? settings.ranges().asMap() : null, structure,
				choice.stepsMeasured().equals(StartupOptimizer.Choice.THIS_START) ? null : choice.stepsMeasured()));
		return choice;
	}

	/**
	 * Adds the batch cost model the warm-up measured to the version's plan for
	 * {@code key}.
	 */
	void remember(Path stored, String key, BatchCostModel costModel) {
		PlanHome.Found found = new PlanHome(home(stored)).find(key);
		Plan plan = (found != null) ? found.plan() : null;
		if (plan != null && !costModel.equals(plan.costModel())) {
			PlanHome.write(found.file(),
					new Plan(plan.key(), plan.created(), plan.optimization(), plan.bfloat16(), plan.int8(),
							plan.skipped(), plan.precision(), plan.reason(), plan.steps(), costModel, plan.int8Ranges(),
							plan.structure(), plan.stepsMeasured()));
		}
	}

	/** The optimised graph stored with the version's plan for {@code key}, or null. */
	MetaGraphDef graph(Path stored, String key) {
		return PlanGraphs.read(home(stored), key);
	}

	/** Stores the optimised graph of the version's plan for {@code key}. */
	void storeGraph(Path stored, String key, MetaGraphDef graph) {
		PlanGraphs.write(home(stored), key, graph);
	}

	/**
	 * What a plan is chosen for: a SHA-256 of the version's and the model's files, what
	 * the startup step reads of the descriptor, this CPU, the settings and this build
	 * ({@link PlanKey}).
	 */
	String key(Path stored, Path modelDirectory, ModelDescriptor descriptor, SessionSettings base) {
		return this.keys.of(stored, modelDirectory, descriptor, base);
	}

	/**
	 * Removes the stored plan of each version directory given, so that they are tuned
	 * again.
	 */
	void forget(List<Path> versionDirectories) {
		for (Path directory : versionDirectories) {
			try {
				new PlanHome(home(directory)).clear();
			}
			catch (IOException ex) {
				logger.warn("Could not remove the startup plans of {}: {}", directory, ex.getMessage());
			}
		}
	}

}
