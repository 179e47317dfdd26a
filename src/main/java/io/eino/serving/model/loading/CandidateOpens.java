package io.eino.serving.model.loading;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.eino.serving.runtime.FrozenGraphs;
import io.eino.serving.runtime.ModelRuntimeException;

/**
 * How the startup step opens its candidates' sessions ({@link SessionMeasurements}) side
 * by side. Hand-written on an executor: the order (the first candidate of each frozen
 * graph before the others that share it) is the step's own.
 */
final class CandidateOpens {

	/** Candidates opened side by side: two keep two cores busy. */
	static final int PARALLEL = 2;

	private CandidateOpens() {
	}

	/**
	 * Opens the candidates {@value #PARALLEL} at a time: opening one is mostly
	 * single-threaded work (freezing and rewriting the graph, Grappler's passes on the
	 * first run, oneDNN creating the kernels of each new shape), about 2.5 s a candidate
	 * for the default model, and nothing is timed until all are open. The first candidate
	 * of each frozen graph opens before the others that share it, so that the graph is
	 * frozen once.
	 */
	static Map<Candidate, String> open(List<Candidate> candidates, Function<Candidate, String> open) {
		Map<Candidate, String> failed = new ConcurrentHashMap<>();
		Set<List<Object>> frozenGraphs = new HashSet<>();
		List<Candidate> first = new ArrayList<>();
		List<Candidate> rest = new ArrayList<>();
		for (Candidate candidate : candidates) {
			(frozenGraphs.add(FrozenGraphs.key(candidate.settings())) ? first : rest).add(candidate);
		}
		ExecutorService pool = Executors.newFixedThreadPool(PARALLEL, (task) -> {
			Thread thread = new Thread(task, "eino-startup-open");
			thread.setDaemon(true);
			return thread;
		});
		try {
			for (List<Candidate> wave : List.of(first, rest)) {
				List<Callable<Void>> opens = wave.stream().map((candidate) -> (Callable<Void>) () -> {
					String failure = open.apply(candidate);
					if (failure != null) {
						failed.put(candidate, failure);
					}
					return null;
				}).toList();
				for (Future<Void> opened : pool.invokeAll(opens)) {
					opened.get();
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new ModelRuntimeException("Interrupted while opening the startup step's sessions", ex);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof Error error) {
				throw error;
			}
			throw (ex.getCause() instanceof RuntimeException runtime) ? runtime
					: new ModelRuntimeException(ex.getCause().getMessage(), ex.getCause());
		}
		finally {
			pool.shutdown();
			awaitQuietly(pool);
		}
		Map<Candidate, String> inOrder = new LinkedHashMap<>();
		candidates.stream()
			.filter(failed::containsKey)
			.forEach((candidate) -> inOrder.put(candidate, failed.get(candidate)));
		return inOrder;
	}

	/**
	 * Waits for the opens still running (TensorFlow's calls cannot be interrupted), so
	 * that every session they open is known to the caller, which closes them.
	 */
	private static void awaitQuietly(ExecutorService pool) {
		boolean interrupted = false;
		while (!pool.isTerminated()) {
			try {
				pool.awaitTermination(1, TimeUnit.MINUTES);
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

}
