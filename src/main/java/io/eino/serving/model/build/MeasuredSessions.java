package io.eino.serving.model.build;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.TextTokenizer;

/**
 * The sessions the startup step ({@link StartupOptimizer}) measures, each loaded once
 * (and its outputs of its texts computed once) however many comparisons and timings use
 * it; all are closed when the step ends.
 */
final class MeasuredSessions implements AutoCloseable {

	private final Path directory;

	private final ModelDescriptor descriptor;

	private final TextTokenizer tokenizer;

	private final List<String> texts;

	private final Map<SessionSettings, SavedModelRunner> runners = new HashMap<>();

	private final Map<SessionSettings, List<float[]>> outputs = new HashMap<>();

	MeasuredSessions(Path directory, ModelDescriptor descriptor, TextTokenizer tokenizer, List<String> texts) {
		this.directory = directory;
		this.descriptor = descriptor;
		this.tokenizer = tokenizer;
		this.texts = texts;
	}

	ModelDescriptor descriptor() {
		return this.descriptor;
	}

	/** The texts whose outputs are compared. */
	List<String> texts() {
		return this.texts;
	}

	SavedModelRunner get(SessionSettings settings) {
		SavedModelRunner runner = this.runners.get(settings);
		if (runner == null) {
			runner = SavedModelRunner.load(this.directory, settings);
			this.runners.put(settings, runner);
		}
		return runner;
	}

	List<float[]> outputs(SessionSettings settings) {
		List<float[]> rows = this.outputs.get(settings);
		if (rows == null) {
			rows = OutputComparison.outputs(get(settings), this.descriptor, this.tokenizer, this.texts);
			this.outputs.put(settings, rows);
		}
		return rows;
	}

	/** Closes the session of {@code settings} once nothing measures it any more. */
	void release(SessionSettings settings) {
		SavedModelRunner runner = this.runners.remove(settings);
		this.outputs.remove(settings);
		if (runner != null) {
			runner.close();
		}
	}

	@Override
	public void close() {
		this.runners.values().forEach(SavedModelRunner::close);
		this.runners.clear();
	}

}
