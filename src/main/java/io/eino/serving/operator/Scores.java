package io.eino.serving.operator;

import java.util.List;

/**
 * What a post-processing operator transforms: one text's output values and, for a
 * classifier, the label of each value.
 *
 * @param values the values, in output order
 * @param labels one per value, or empty when they have no labels
 */
public record Scores(float[] values, List<String> labels) {

	public Scores {
		labels = List.copyOf(labels);
		if (!labels.isEmpty() && labels.size() != values.length) {
			throw new IllegalArgumentException(
					"Scores have " + values.length + " values but " + labels.size() + " labels");
		}
	}

	/** The index of the largest value. */
	public int best() {
		int best = 0;
		for (int i = 1; i < this.values.length; i++) {
			if (this.values[i] > this.values[best]) {
				best = i;
			}
		}
		return best;
	}

}
