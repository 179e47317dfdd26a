package io.eino.serving.model.loading;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.text.TextTokenizer;
import io.eino.serving.text.TokenizedBatch;

/**
 * Runs texts through a model version's sessions and says how far one session's served
 * outputs drift from another's: the parity check that guards every graph rewrite and the
 * accuracy check of reduced precision in the startup step (docs/engine.md).
 */
final class OutputComparison {

	private static final int BATCH = 32;

	/**
	 * Below this gap between its two highest outputs, the reference has not decided a
	 * text's class (a review both praising and blaming, say: 0.47 against 0.53), and any
	 * change of arithmetic may flip it; such a flip is reported, not counted as
	 * disagreement.
	 */
	static final double UNDECIDED_MARGIN = 0.1;

	private OutputComparison() {
	}

	/**
	 * How the candidate's outputs compare with the reference's.
	 *
	 * @param labelAgreement the share of texts whose top class is the same, a text the
	 * reference leaves undecided counting as the same (1 for models that do not classify)
	 * @param maxDifference the largest absolute difference of any output value
	 * @param texts how many texts were compared
	 * @param referenceAccuracy the reference's share of right labels, where the texts are
	 * labelled (NaN otherwise)
	 * @param accuracy the candidate's
	 * @param undecidedChanged texts whose top class changed although the reference leaves
	 * them undecided: its two highest outputs less than {@value #UNDECIDED_MARGIN} apart
	 */
	record Agreement(double labelAgreement, double maxDifference, int texts, double referenceAccuracy, double accuracy,
			int undecidedChanged) {

		Agreement(double labelAgreement, double maxDifference, int texts, double referenceAccuracy, double accuracy) {
			this(labelAgreement, maxDifference, texts, referenceAccuracy, accuracy, 0);
		}

		/** Whether every text keeps its top class, undecided ones included. */
		boolean sameLabels() {
			return this.labelAgreement == 1.0 && this.undecidedChanged == 0;
		}

		/** Whether the candidate gets at least as many labels right as the reference. */
		boolean asAccurate() {
			return Double.isNaN(this.accuracy) || this.accuracy >= this.referenceAccuracy;
		}

		String describe() {
			String measured = String.format(Locale.ROOT,
					"labels agree on %.1f %% of %d texts, largest output difference %.2g", this.labelAgreement * 100,
					this.texts, this.maxDifference)
					+ ((this.undecidedChanged > 0) ? String.format(Locale.ROOT,
							" (%d text(s) fp32 leaves undecided changed label)", this.undecidedChanged) : "");
			return Double.isNaN(this.accuracy) ? measured : measured + String.format(Locale.ROOT,
					", accuracy %.1f %% (fp32 %.1f %%)", this.accuracy * 100, this.referenceAccuracy * 100);
		}

	}

	/** The served output of each text, in order, as the runner computes it. */
	static List<float[]> outputs(SavedModelRunner runner, ModelDescriptor descriptor, TextTokenizer tokenizer,
			List<String> texts) {
		List<float[]> rows = new ArrayList<>(texts.size());
		for (int start = 0; start < texts.size(); start += BATCH) {
			TokenizedBatch batch = tokenizer.encode(texts.subList(start, Math.min(texts.size(), start + BATCH)));
			HostTensor.Float32 output = output(runner, descriptor, batch.asInputs());
			for (int row = 0; row < batch.size(); row++) {
				rows.add(output.row(row));
			}
		}
		return rows;
	}

	/**
	 * How the candidate's outputs of the same texts compare with the reference's;
	 * {@code labels} (null where a text has none) adds each side's accuracy for a
	 * classifier whose labels they are.
	 */
	static Agreement compare(List<float[]> reference, List<float[]> candidate, ModelDescriptor descriptor,
			List<String> labels) {
		int agreeing = 0;
		int undecidedChanged = 0;
		int labelled = 0;
		int referenceRight = 0;
		int candidateRight = 0;
		double maxDifference = 0;
		for (int text = 0; text < reference.size(); text++) {
			float[] wantRow = reference.get(text);
			float[] gotRow = candidate.get(text);
			if (argmax(wantRow) == argmax(gotRow)) {
				agreeing++;
			}
			else if (margin(wantRow) < UNDECIDED_MARGIN) {
				agreeing++;
				undecidedChanged++;
			}
			int truth = (descriptor.labels() != null && labels.get(text) != null)
					? descriptor.labels().indexOf(labels.get(text)) : -1;
			if (truth >= 0) {
				labelled++;
				referenceRight += (argmax(wantRow) == truth) ? 1 : 0;
				candidateRight += (argmax(gotRow) == truth) ? 1 : 0;
			}
			for (int i = 0; i < wantRow.length; i++) {
				maxDifference = Math.max(maxDifference, Math.abs(wantRow[i] - gotRow[i]));
			}
		}
		double labelAgreement = (descriptor.task() == ModelDescriptor.Task.CLASSIFICATION)
				? (double) agreeing / reference.size() : 1.0;
		boolean classifies = descriptor.task() == ModelDescriptor.Task.CLASSIFICATION && labelled > 0;
		return new Agreement(labelAgreement, maxDifference, reference.size(),
				classifies ? (double) referenceRight / labelled : Double.NaN,
				classifies ? (double) candidateRight / labelled : Double.NaN, undecidedChanged);
	}

	/** How far apart the two highest values of {@code row} are. */
	private static double margin(float[] row) {
		float first = Float.NEGATIVE_INFINITY;
		float second = Float.NEGATIVE_INFINITY;
		for (float value : row) {
			if (value > first) {
				second = first;
				first = value;
			}
			else if (value > second) {
				second = value;
			}
		}
		return first - second;
	}

	static HostTensor.Float32 output(SavedModelRunner runner, ModelDescriptor descriptor,
			Map<String, HostTensor> inputs) {
		return (HostTensor.Float32) runner.run(descriptor.signature(), inputs, List.of(descriptor.output()))
			.get(descriptor.output());
	}

	/** The model's evaluation file, beside the version or the model; null without one. */
	static Path evaluationFile(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor) {
		if (descriptor.evaluation() == null) {
			return null;
		}
		for (Path candidate : List.of(versionDirectory.resolve(descriptor.evaluation()),
				modelDirectory.resolve(descriptor.evaluation()))) {
			if (Files.isRegularFile(candidate)) {
				return candidate;
			}
		}
		return null;
	}

	/** Lines of {@code label TAB text} or plain text; {@code #} starts a comment. */
	static List<String> evaluationTexts(Path file) {
		return evaluationLines(file).stream()
			.map((line) -> line.contains("\t") ? line.substring(line.indexOf('\t') + 1) : line)
			.toList();
	}

	/** Each evaluation text's label, or null where the line has none. */
	static List<String> evaluationLabels(Path file) {
		return evaluationLines(file).stream()
			.map((line) -> line.contains("\t") ? line.substring(0, line.indexOf('\t')) : null)
			.toList();
	}

	private static List<String> evaluationLines(Path file) {
		try {
			return Files.readAllLines(file)
				.stream()
				.filter((line) -> !line.isBlank() && !line.startsWith("#"))
				.toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static int argmax(float[] values) {
		int best = 0;
		for (int i = 1; i < values.length; i++) {
			if (values[i] > values[best]) {
				best = i;
			}
		}
		return best;
	}

}
