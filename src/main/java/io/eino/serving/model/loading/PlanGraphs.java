package io.eino.serving.model.loading;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.MetaGraphDef.MetaInfoDef;

/**
 * The optimised graph of a version ({@code io.eino.serving.runtime.OptimisedGraph}),
 * stored beside its startup plan as {@code startup-graph-<key>.pb}: a TensorFlow
 * {@code MetaGraphDef} with the graph, its signature and, as its
 * {@code meta_graph_version}, the key of the plan it was made for. A graph stored for
 * another key, or one that cannot be read, is not used. It holds the version's weights,
 * so it is never stored for a sealed package.
 */
final class PlanGraphs {

	/** The file of the graph stored for the plan of {@code key}. */
	static Path file(Path home, String key) {
		return home.resolve("startup-graph-" + PlanFiles.shortKey(key) + ".pb");
	}

	private static final Logger logger = LoggerFactory.getLogger(PlanGraphs.class);

	private PlanGraphs() {
	}

	/** The graph stored in {@code home} for {@code key}; null when there is none. */
	static MetaGraphDef read(Path home, String key) {
		Path file = file(home, key);
		if (!Files.isRegularFile(file)) {
			return null;
		}
		try (InputStream in = Files.newInputStream(file)) {
			MetaGraphDef graph = MetaGraphDef.parseFrom(in);
			if (!graph.getMetaInfoDef().getMetaGraphVersion().equals(key)) {
				logger.info("The optimised graph in {} was made for another plan", file);
				return null;
			}
			return graph;
		}
		catch (IOException ex) {
			logger.warn("Ignoring the unreadable optimised graph {}: {}", file, ex.getMessage());
			return null;
		}
	}

	/**
	 * Stores {@code graph} for {@code key}, replacing any other; a graph that cannot be
	 * written costs only its reuse.
	 */
	static void write(Path home, String key, MetaGraphDef graph) {
		Path file = file(home, key);
		try {
			PlanFiles.replace(file, (staged) -> {
				try (OutputStream out = Files.newOutputStream(staged)) {
					graph.toBuilder()
						.setMetaInfoDef(MetaInfoDef.newBuilder().setMetaGraphVersion(key))
						.build()
						.writeTo(out);
				}
			});
		}
		catch (IOException ex) {
			logger.warn("Could not store the optimised graph in {} (the next start optimises it again): {}", file,
					ex.getMessage());
		}
	}

	/**
	 * Gives {@code home} the graph {@code sibling} stores for {@code key}, when it has
	 * one: a version with the same files and settings (the same key) serves the same
	 * graph. A hard link where the file system allows, else a copy.
	 */
	static void share(Path sibling, Path home, String key) {
		Path source = file(sibling, key);
		if (!Files.isRegularFile(source)) {
			return;
		}
		Path target = file(home, key);
		try {
			Files.createDirectories(home);
			try {
				Files.createLink(target, source);
			}
			catch (IOException | UnsupportedOperationException ex) {
				PlanFiles.replace(target,
						(staged) -> Files.copy(source, staged, java.nio.file.StandardCopyOption.REPLACE_EXISTING));
			}
		}
		catch (IOException ex) {
			logger.warn("Could not share the optimised graph of {} with {} (it is made again): {}", sibling, home,
					ex.getMessage());
		}
	}

	/**
	 * Removes the graph stored in {@code home} for {@code key}: whenever a plan for that
	 * key is written anew (chosen again, a plan may choose otherwise), so that a graph is
	 * only ever the one stored after the plan it serves.
	 */
	static void delete(Path home, String key) {
		try {
			Files.deleteIfExists(file(home, key));
		}
		catch (IOException ex) {
			logger.warn("Could not remove the optimised graph in {}: {}", home, ex.getMessage());
		}
	}

}
