package io.eino.serving.model.loading;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.ModelRuntimeException;
import io.eino.serving.runtime.OptimisedGraph;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.MetaGraphDef;

/**
 * Opens the sessions of a version's runners for the startup step's choice. Where the
 * version's plan holds the optimised graph ({@link PlanGraphs}), every session opens it
 * with Grappler off, and a second start skips both the SavedModel's import and the
 * optimisation of each session's first run. Otherwise the first session is built from the
 * SavedModel, the graph it runs is captured ({@link OptimisedGraph}), opened again and
 * checked to answer a probe batch as that session did, and stored; the other sessions
 * open it too, so that every runner, on this start and the next, serves the same graph.
 */
final class VersionSessions {

	/**
	 * The largest difference allowed between the stored graph's outputs and those of the
	 * session it was captured from: the same kernels on the same inputs, so in practice
	 * none.
	 */
	static final double MAX_DIFFERENCE = 1e-4;

	private static final Logger logger = LoggerFactory.getLogger(VersionSessions.class);

	private VersionSessions() {
	}

	/**
	 * Adds {@code instances} sessions to {@code sessions} (which the caller closes on
	 * failure).
	 * @param storable whether the optimised graph may be stored (not for a sealed
	 * package: it holds the weights)
	 * @param probe the inputs the stored graph is captured and checked with
	 */
	static void open(List<SavedModelRunner> sessions, int instances, Path versionDirectory, SessionSettings settings,
			StartupPlans plans, Path stored, String key, boolean storable, Supplier<Map<String, HostTensor>> probe) {
		MetaGraphDef graph = storable ? plans.graph(stored, key) : null;
		if (graph != null) {
			try {
				for (int i = 0; i < instances; i++) {
					sessions.add(OptimisedGraph.open(versionDirectory, graph, settings));
				}
				logger.info("{}: {} session(s) opened on the stored optimised graph", versionDirectory, instances);
				return;
			}
			catch (ModelRuntimeException ex) {
				logger.warn("{}: the stored optimised graph does not open, optimising again: {}", versionDirectory,
						ex.getMessage());
				sessions.forEach(SavedModelRunner::close);
				sessions.clear();
			}
		}
		sessions.add(SavedModelRunner.load(versionDirectory, settings));
		if (storable) {
			Checked checked = capture(sessions.get(0), versionDirectory, settings, probe.get());
			if (checked != null) {
				graph = checked.graph();
				plans.storeGraph(stored, key, graph);
				sessions.remove(0).close();
				// The session the graph was checked on serves as the first runner.
				sessions.add(checked.session());
			}
		}
		while (sessions.size() < instances) {
			sessions.add((graph != null) ? OptimisedGraph.open(versionDirectory, graph, settings)
					: SavedModelRunner.load(versionDirectory, settings));
		}
	}

	/**
	 * A probe batch of a text model: two texts of different lengths, so that padding is
	 * part of what the stored graph is checked on.
	 */
	static Supplier<Map<String, HostTensor>> probe(TextTokenizer tokenizer) {
		return () -> tokenizer.encode(List.of(SessionMeasurements.REFERENCE_TEXT, "A short probe.")).asInputs();
	}

	/**
	 * A stored graph and the session opened on it that answered the probe batch as the
	 * session it was captured from did.
	 */
	private record Checked(MetaGraphDef graph, SavedModelRunner session) {
	}

	/**
	 * The graph {@code session} runs and a session opened on it, when it can be stored
	 * and, opened again, answers a probe batch as the session does; null otherwise.
	 */
	private static Checked capture(SavedModelRunner session, Path versionDirectory, SessionSettings settings,
			Map<String, HostTensor> probe) {
		StringBuilder why = new StringBuilder();
		OptimisedGraph.Captured captured;
		try {
			captured = OptimisedGraph.capture(session, probe, why);
		}
		catch (RuntimeException ex) {
			// Storing the graph is an optimisation, never a reason not to load: the
			// warm-up and the health check judge the session itself.
			logger.warn("{}: the optimised graph is not stored: {}", versionDirectory, ex.getMessage());
			return null;
		}
		if (captured == null) {
			logger.info("{}: the optimised graph is not stored: {}", versionDirectory, why);
			return null;
		}
		SavedModelRunner reopened = null;
		try {
			reopened = OptimisedGraph.open(versionDirectory, captured.graph(), settings);
			String signature = captured.graph().getSignatureDefMap().keySet().iterator().next();
			double difference = OptimisedGraph.difference(captured.outputs(),
					reopened.run(signature, probe, captured.outputs().keySet()));
			if (!(difference <= MAX_DIFFERENCE)) {
				logger.warn("{}: the optimised graph is not stored: opened again it answers differently (by {})",
						versionDirectory, difference);
				reopened.close();
				return null;
			}
			return new Checked(captured.graph(), reopened);
		}
		catch (ModelRuntimeException ex) {
			if (reopened != null) {
				reopened.close();
			}
			logger.warn("{}: the optimised graph is not stored: {}", versionDirectory, ex.getMessage());
			return null;
		}
	}

}
