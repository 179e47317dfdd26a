package io.eino.serving.model.loading;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.TensorBatcher;
import io.eino.serving.text.TextTokenizer;
import io.eino.serving.text.TokenizedBatch;

/**
 * Runs texts through a model version's sessions and says how far one session's served
 * outputs drift from another's: the parity check that guards every graph rewrite and the
 * accuracy check of reduced precision in the startup step (docs/engine.md).
 */
final class OutputComparison {

	private static final int BATCH = 32;

	/** How many nearest texts the retrieval check of an embedding model compares. */
	static final int NEIGHBOURS = 10;

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
	 * @param retrieval how close the vectors of an embedding model stay (null for other
	 * models)
	 */
	record Agreement(double labelAgreement, double maxDifference, int texts, double referenceAccuracy, double accuracy,
			int undecidedChanged, Retrieval retrieval) {

		Agreement(double labelAgreement, double maxDifference, int texts, double referenceAccuracy, double accuracy) {
			this(labelAgreement, maxDifference, texts, referenceAccuracy, accuracy, 0, null);
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
			if (this.retrieval != null) {
				return String.format(Locale.ROOT,
						"cosine to the reference at least %.5f, top-%d neighbours unchanged for %.1f %% of %d texts, "
								+ "largest output difference %.2g",
						this.retrieval.minCosine(), NEIGHBOURS, this.retrieval.neighbourAgreement() * 100, this.texts,
						this.maxDifference);
			}
			String measured = String.format(Locale.ROOT,
					"labels agree on %.1f %% of %d texts, largest output difference %.2g", this.labelAgreement * 100,
					this.texts, this.maxDifference)
					+ ((this.undecidedChanged > 0) ? String.format(Locale.ROOT,
							" (%d text(s) fp32 leaves undecided changed label)", this.undecidedChanged) : "");
			return Double.isNaN(this.accuracy) ? measured : measured + String.format(Locale.ROOT,
					", accuracy %.1f %% (fp32 %.1f %%)", this.accuracy * 100, this.referenceAccuracy * 100);
		}

	}

	/**
	 * How close an embedding model's vectors stay to the reference's.
	 *
	 * @param minCosine the smallest cosine similarity of a text's vector to its reference
	 * @param neighbourAgreement the share of texts whose {@value #NEIGHBOURS} nearest
	 * other texts (by cosine, the evaluation texts as the retrieval set) are the same set
	 */
	record Retrieval(double minCosine, double neighbourAgreement) {

		static Retrieval of(List<float[]> reference, List<float[]> candidate) {
			double minCosine = 1;
			for (int text = 0; text < reference.size(); text++) {
				minCosine = Math.min(minCosine, cosine(reference.get(text), candidate.get(text)));
			}
			int same = 0;
			for (int query = 0; query < reference.size(); query++) {
				if (neighbours(reference, query).equals(neighbours(candidate, query))) {
					same++;
				}
			}
			return new Retrieval(minCosine, reference.isEmpty() ? 1 : (double) same / reference.size());
		}

		private static Set<Integer> neighbours(List<float[]> vectors, int query) {
			Integer[] others = new Integer[vectors.size()];
			double[] scores = new double[vectors.size()];
			for (int text = 0; text < vectors.size(); text++) {
				others[text] = text;
				scores[text] = (text == query) ? Double.NEGATIVE_INFINITY
						: cosine(vectors.get(query), vectors.get(text));
			}
			Arrays.sort(others, (a, b) -> Double.compare(scores[b], scores[a]));
			return Set.of(Arrays.copyOf(others, Math.min(NEIGHBOURS, vectors.size() - 1)));
		}

		static double cosine(float[] a, float[] b) {
			double dot = 0;
			double normA = 0;
			double normB = 0;
			for (int i = 0; i < a.length; i++) {
				dot += (double) a[i] * b[i];
				normA += (double) a[i] * a[i];
				normB += (double) b[i] * b[i];
			}
			return (normA == 0 || normB == 0) ? ((normA == normB) ? 1 : 0) : dot / Math.sqrt(normA * normB);
		}

	}

	/** The served output of each text, in order, as the runner computes it. */
	static List<float[]> outputs(SavedModelRunner runner, ModelDescriptor descriptor, TextTokenizer tokenizer,
			List<String> texts) {
		List<float[]> rows = new ArrayList<>(texts.size());
		for (int start = 0; start < texts.size(); start += BATCH) {
			TokenizedBatch batch = tokenizer.encode(texts.subList(start, Math.min(texts.size(), start + BATCH)));
			HostTensor.Float32 output = output(runner, descriptor, batch.asInputs());
			int length = batch.sequenceLength();
			long[] mask = batch.attentionMask().values();
			// A text's slice: its vector, or all of its token vectors when pooled.
			int width = output.values().length / batch.size();
			for (int row = 0; row < batch.size(); row++) {
				rows.add(descriptor.pooling()
					.apply(TensorBatcher.row(output.values(), width, row), length, mask, row * length));
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
			if (descriptor.task() != ModelDescriptor.Task.CLASSIFICATION || argmax(wantRow) == argmax(gotRow)) {
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
				classifies ? (double) candidateRight / labelled : Double.NaN, undecidedChanged,
				(descriptor.task() == ModelDescriptor.Task.EMBEDDING) ? Retrieval.of(reference, candidate) : null);
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
