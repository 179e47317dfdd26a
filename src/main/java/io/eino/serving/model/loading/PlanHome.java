package io.eino.serving.model.loading;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The files that hold one version's startup plans: the newest plan as
 * {@value StartupPlans#FILE_NAME}, the plans chosen earlier for other keys (another
 * thread layout, another node type sharing the directory, another configuration) as
 * {@code startup-plan-<key>.json}, at most {@value #KEPT} in all, and beside each the
 * optimised graph it serves ({@link PlanGraphs}). Moving between two configurations
 * reuses both plans instead of each replacing the other.
 *
 * @param directory where the files lie
 */
record PlanHome(Path directory) {

	/** Plans kept per version, the newest included; older ones go, with their graphs. */
	static final int KEPT = 4;

	private static final Logger logger = LoggerFactory.getLogger(PlanHome.class);

	/**
	 * Reads a value a plan stored by an earlier build lacks as Java's default (a step's
	 * {@code faster}: false), so that its file is still found, moved and pruned with its
	 * graph.
	 */
	private static final JsonMapper JSON = JsonMapper.builder()
		.disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
		.build();

	/**
	 * Whether a file of a version's directory is the startup step's own (a plan, an
	 * optimised graph, or one of them being written), and no part of the version.
	 */
	static boolean isPlanFile(String name) {
		return name.startsWith("startup-plan") || name.startsWith("startup-graph") || name.startsWith(".startup-");
	}

	/** The newest plan's file. */
	Path current() {
		return this.directory.resolve(StartupPlans.FILE_NAME);
	}

	/**
	 * Where a plan for {@code key} lies once a newer plan for another key replaced it.
	 */
	Path earlier(String key) {
		return this.directory.resolve("startup-plan-" + PlanFiles.shortKey(key) + ".json");
	}

	/**
	 * A stored plan and the file it lies in.
	 *
	 * @param file where it lies
	 * @param plan the plan
	 */
	record Found(Path file, StartupPlans.Plan plan) {
	}

	/** The plan for {@code key} and its file, or null when there is none. */
	Found find(String key) {
		for (Path file : List.of(current(), earlier(key))) {
			StartupPlans.Plan plan = read(file);
			if (plan != null && plan.key().equals(key)) {
				return new Found(file, plan);
			}
		}
		return null;
	}

	/**
	 * A plan stored here for a version with the given structure
	 * ({@link PlanKey#structureOf}), the newest first, or null.
	 */
	Found findStructure(String structure) {
		try {
			for (Path file : newestFirst("startup-plan")) {
				StartupPlans.Plan plan = file.getFileName().toString().endsWith(".json") ? read(file) : null;
				if (plan != null && structure.equals(plan.structure())) {
					return new Found(file, plan);
				}
			}
		}
		catch (IOException ex) {
			logger.debug("Could not read the startup plans of {}: {}", this.directory, ex.getMessage());
		}
		return null;
	}

	/**
	 * Stores {@code plan} as the newest, keeping the plan it replaces (for another key)
	 * among the earlier ones; any graph stored for the plan's key goes, since a plan
	 * chosen again may choose otherwise.
	 */
	void store(StartupPlans.Plan plan) {
		StartupPlans.Plan replaced = read(current());
		try {
			if (replaced != null && !replaced.key().equals(plan.key())) {
				Files.move(current(), earlier(replaced.key()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
			}
			Files.deleteIfExists(earlier(plan.key()));
		}
		catch (IOException ex) {
			logger.debug("Could not keep the earlier startup plan of {}: {}", this.directory, ex.getMessage());
		}
		PlanGraphs.delete(this.directory, plan.key());
		write(current(), plan);
		prune();
	}

	/** Removes every plan and graph. */
	void clear() throws IOException {
		try (Stream<Path> files = Files.list(this.directory)) {
			for (Path file : files.filter((file) -> isPlanFile(file.getFileName().toString())).toList()) {
				Files.deleteIfExists(file);
			}
		}
		catch (java.nio.file.NoSuchFileException ex) {
			// Nothing stored yet.
		}
	}

	/** The earlier plans beyond the newest {@value #KEPT}, with their graphs, go. */
	private void prune() {
		try {
			List<Path> earlier = newestFirst("startup-plan-");
			for (Path file : earlier.subList(Math.min(earlier.size(), KEPT - 1), earlier.size())) {
				StartupPlans.Plan plan = read(file);
				Files.deleteIfExists(file);
				if (plan != null) {
					PlanGraphs.delete(this.directory, plan.key());
				}
			}
		}
		catch (IOException ex) {
			logger.debug("Could not prune the startup plans of {}: {}", this.directory, ex.getMessage());
		}
	}

	/** The files here whose names start with {@code prefix}, the newest first. */
	private List<Path> newestFirst(String prefix) throws IOException {
		try (Stream<Path> files = Files.list(this.directory)) {
			return files.filter((file) -> file.getFileName().toString().startsWith(prefix))
				.sorted(Comparator.comparing(PlanHome::modified).reversed())
				.toList();
		}
	}

	private static long modified(Path file) {
		try {
			return Files.getLastModifiedTime(file).toMillis();
		}
		catch (IOException ex) {
			return 0;
		}
	}

	static StartupPlans.Plan read(Path file) {
		if (!Files.isRegularFile(file)) {
			return null;
		}
		try {
			return JSON.readValue(file.toFile(), StartupPlans.Plan.class);
		}
		catch (JacksonException ex) {
			logger.warn("Ignoring the unreadable startup plan {}: {}", file, ex.getOriginalMessage());
			return null;
		}
	}

	static void write(Path file, StartupPlans.Plan plan) {
		try {
			PlanFiles.replace(file,
					(staged) -> JSON.writerWithDefaultPrettyPrinter().writeValue(staged.toFile(), plan));
		}
		catch (IOException | JacksonException ex) {
			logger.warn("Could not store the startup plan in {} (the version will be tuned again on its next load): {}",
					file, ex.getMessage());
		}
	}

}
