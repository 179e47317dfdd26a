package io.eino.serving.model.loading;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.eino.serving.graph.ActivationRanges;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.Calibration;
import io.eino.serving.runtime.FrozenGraphs;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.ModelRuntimeException;
import io.eino.serving.runtime.OpProfile;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.TextTokenizer;

/**
 * The startup step's measurements on real sessions of one version: each candidate's
 * session is loaded once and closed when the step no longer needs it; the graph as
 * imported stays open throughout, as the baseline of every timing and comparison.
 *
 * <p>
 * The representative batches come from the model's evaluation texts (or prefixes of a
 * reference text when it has none), ordered by token count: one text of median length, 8
 * and 32 texts spread over the lengths, and the 8 longest; so a candidate that is only
 * faster on one shape does not win on it alone.
 */
final class SessionMeasurements implements StartupMeasurements, AutoCloseable {

	static final String REFERENCE_TEXT = "The service answered every question quickly, "
			+ "and the staff were friendly, but the room was far too small for the price we paid.";

	private static final int REFERENCE_ROWS = 8;

	private static final int CALIBRATION_ROWS = 32;

	private final Path directory;

	private final ModelDescriptor descriptor;

	private final TextTokenizer tokenizer;

	private final List<String> texts;

	private final List<String> labels;

	private final SavedModelRunner baseline;

	private final List<Map<String, HostTensor>> batches;

	private final Map<Candidate, SavedModelRunner> runners = new ConcurrentHashMap<>();

	private final Map<Candidate, String> rewrites = new ConcurrentHashMap<>();

	/** The frozen graphs the candidates share; dropped with the step. */
	private final FrozenGraphs frozen = new FrozenGraphs();

	private List<float[]> baselineOutputs;

	/**
	 * @param evaluation the model's evaluation file (its texts and labels), or null
	 */
	SessionMeasurements(Path directory, ModelDescriptor descriptor, TextTokenizer tokenizer, SessionSettings imported,
			Path evaluation) {
		this.directory = directory;
		this.descriptor = descriptor;
		this.tokenizer = tokenizer;
		this.texts = (evaluation != null) ? OutputComparison.evaluationTexts(evaluation) : List.of(REFERENCE_TEXT);
		this.labels = (evaluation != null) ? OutputComparison.evaluationLabels(evaluation)
				: Collections.nCopies(this.texts.size(), null);
		this.batches = batches(tokenizer, (evaluation != null) ? this.texts : prefixes(REFERENCE_TEXT));
		this.baseline = SavedModelRunner.load(directory, imported);
		warm(this.baseline);
	}

	@Override
	public String open(Candidate candidate) {
		try {
			SavedModelRunner runner = SavedModelRunner.load(this.directory, candidate.settings(), this.frozen);
			this.runners.put(candidate, runner);
			this.rewrites.put(candidate, runner.rewrites());
			warm(runner);
			return null;
		}
		catch (ModelRuntimeException ex) {
			release(candidate);
			return ex.getMessage();
		}
	}

	/** {@link CandidateOpens}: two at a time, each frozen graph frozen once. */
	@Override
	public Map<Candidate, String> openAll(List<Candidate> candidates) {
		return CandidateOpens.open(candidates, this::open);
	}

	/**
	 * {@code candidates} with each int8 one calibrated: its settings carry the activation
	 * ranges measured on every evaluation text with the fp32 graph
	 * ({@link ActivationRanges}), so that its sessions, the stored plan and every later
	 * session of the version are rewritten the same way. An int8 candidate that cannot be
	 * calibrated (its graph cannot be frozen, or TensorFlow fails) is left uncalibrated:
	 * opening it then fails the same way, or the accuracy gate checks it unsmoothed.
	 */
	List<Candidate> calibrated(List<Candidate> candidates) {
		List<Candidate> calibrated = new ArrayList<>();
		for (Candidate candidate : candidates) {
			if (!candidate.settings().int8()) {
				calibrated.add(candidate);
				continue;
			}
			try {
				List<Map<String, HostTensor>> batches = new ArrayList<>();
				for (int from = 0; from < this.texts.size(); from += CALIBRATION_ROWS) {
					batches.add(this.tokenizer
						.encode(this.texts.subList(from, Math.min(this.texts.size(), from + CALIBRATION_ROWS)))
						.asInputs());
				}
				ActivationRanges ranges = Calibration.measure(this.directory, candidate.settings(), this.frozen,
						this.descriptor.signature(), batches);
				calibrated.add(new Candidate(candidate.name(), candidate.settings().withInt8(ranges),
						candidate.precision(), candidate.what()));
			}
			catch (RuntimeException ex) {
				// Calibration serves an optimisation: any failure leaves the candidate as
				// it was, for the gate to judge.
				calibrated.add(candidate);
			}
		}
		return calibrated;
	}

	@Override
	public Candidate calibrated(Candidate candidate) {
		return calibrated(List.of(candidate)).get(0);
	}

	@Override
	public double[] round(List<Candidate> candidates) {
		double[] millis = new double[candidates.size() + 2];
		millis[0] = time(this.baseline);
		for (int i = 0; i < candidates.size(); i++) {
			millis[i + 1] = time(this.runners.get(candidates.get(i)));
		}
		millis[millis.length - 1] = time(this.baseline);
		return millis;
	}

	@Override
	public OutputComparison.Agreement compare(Candidate candidate) {
		if (this.baselineOutputs == null) {
			this.baselineOutputs = OutputComparison.outputs(this.baseline, this.descriptor, this.tokenizer, this.texts);
		}
		List<float[]> outputs = OutputComparison.outputs(this.runners.get(candidate), this.descriptor, this.tokenizer,
				this.texts);
		return OutputComparison.compare(this.baselineOutputs, outputs, this.descriptor, this.labels);
	}

	@Override
	public OpProfile profile(Candidate candidate) {
		SavedModelRunner runner = (candidate != null) ? this.runners.get(candidate) : this.baseline;
		if (runner == null) {
			return null;
		}
		return runner.profile(this.descriptor.signature(),
				this.tokenizer.encode(Collections.nCopies(REFERENCE_ROWS, REFERENCE_TEXT)).asInputs(),
				List.of(this.descriptor.output()));
	}

	@Override
	public String rewrites(Candidate candidate) {
		return this.rewrites.getOrDefault(candidate, "");
	}

	@Override
	public void release(Candidate candidate) {
		SavedModelRunner runner = this.runners.remove(candidate);
		if (runner != null) {
			runner.close();
		}
	}

	@Override
	public void close() {
		this.runners.values().forEach(SavedModelRunner::close);
		this.runners.clear();
		this.baseline.close();
	}

	/** Runs each batch twice: a shape's first run creates its kernels. */
	private void warm(SavedModelRunner runner) {
		time(runner);
		time(runner);
	}

	private double time(SavedModelRunner runner) {
		long started = System.nanoTime();
		for (Map<String, HostTensor> batch : this.batches) {
			OutputComparison.output(runner, this.descriptor, batch);
		}
		return (System.nanoTime() - started) / 1e6;
	}

	/** Every prefix of {@code text} of 2, 4, 6, … words. */
	private static List<String> prefixes(String text) {
		String[] words = text.split(" ");
		List<String> prefixes = new ArrayList<>();
		for (int end = 2; end <= words.length; end += 2) {
			prefixes.add(String.join(" ", List.of(words).subList(0, end)));
		}
		return prefixes;
	}

	/**
	 * One text of median length, 8 and 32 spread evenly over the lengths, and the 8
	 * longest (texts repeat where there are fewer).
	 */
	static List<Map<String, HostTensor>> batches(TextTokenizer tokenizer, List<String> texts) {
		List<String> byLength = texts.stream()
			.sorted(Comparator.comparingInt((String text) -> tokenizer.tokens(text).size()))
			.toList();
		List<List<String>> batches = List.of(List.of(byLength.get(byLength.size() / 2)), spread(byLength, 8),
				spread(byLength, 32), longest(byLength, 8));
		return batches.stream().map((batch) -> tokenizer.encode(batch).asInputs()).toList();
	}

	private static List<String> spread(List<String> byLength, int rows) {
		List<String> batch = new ArrayList<>();
		for (int row = 0; row < rows; row++) {
			batch.add(byLength.get((int) ((row + 0.5) * byLength.size() / rows)));
		}
		return batch;
	}

	private static List<String> longest(List<String> byLength, int rows) {
		List<String> batch = new ArrayList<>();
		for (int row = 0; row < rows; row++) {
			batch.add(byLength.get(Math.max(0, byLength.size() - 1 - row % byLength.size())));
		}
		return batch;
	}

}
