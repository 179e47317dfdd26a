package io.eino.serving.operator;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A model's compiled pre- and post-processing operators, in {@code model.yaml} order.
 * Immutable and thread safe.
 *
 * @param names the operators' names, pre then post (for metadata)
 * @param preprocess text operators
 * @param postprocess scores operators
 */
public record Pipeline(List<String> names, List<UnaryOperator<String>> preprocess,
		List<UnaryOperator<Scores>> postprocess) {

	public static final Pipeline EMPTY = new Pipeline(List.of(), List.of(), List.of());

	public String preprocess(String text) {
		String result = text;
		for (UnaryOperator<String> operator : this.preprocess) {
			result = operator.apply(result);
		}
		return result;
	}

	public Scores postprocess(Scores scores) {
		Scores result = scores;
		for (UnaryOperator<Scores> operator : this.postprocess) {
			result = operator.apply(result);
		}
		return result;
	}

}
