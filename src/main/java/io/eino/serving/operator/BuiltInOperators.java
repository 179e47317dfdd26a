package io.eino.serving.operator;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The operators every model may use. Texts: {@code lowercase},
 * {@code collapse-whitespace}. Scores: {@code softmax}, {@code sigmoid}, {@code relu},
 * {@code argmax} (keeps only the best value and its label), {@code labels} (argument
 * {@code names}: gives the values labels).
 */
final class BuiltInOperators {

	private BuiltInOperators() {
	}

	static List<OperatorDefinition> all() {
		return List.of(OperatorDefinition.preprocess("lowercase", (args) -> (text) -> text.toLowerCase(Locale.ROOT)),
				OperatorDefinition.preprocess("collapse-whitespace",
						(args) -> (text) -> text.strip().replaceAll("\\s+", " ")),
				OperatorDefinition.postprocess("softmax", (args) -> BuiltInOperators::softmax),
				OperatorDefinition.postprocess("sigmoid",
						(args) -> elementwise((value) -> (float) (1 / (1 + Math.exp(-value))))),
				OperatorDefinition.postprocess("relu", (args) -> elementwise((value) -> Math.max(0f, value))),
				OperatorDefinition.postprocess("argmax", (args) -> BuiltInOperators::argmax),
				OperatorDefinition.postprocess("labels", BuiltInOperators::labels));
	}

	/** A scores operator applying {@code function} to each value. */
	static UnaryOperator<Scores> elementwise(FloatFunction function) {
		return (scores) -> {
			float[] values = new float[scores.values().length];
			for (int i = 0; i < values.length; i++) {
				values[i] = function.apply(scores.values()[i]);
			}
			return new Scores(values, scores.labels());
		};
	}

	/** A function of one float. */
	@FunctionalInterface
	interface FloatFunction {

		float apply(float value);

	}

	private static Scores softmax(Scores scores) {
		float[] in = scores.values();
		float max = Float.NEGATIVE_INFINITY;
		for (float value : in) {
			max = Math.max(max, value);
		}
		double sum = 0;
		double[] exps = new double[in.length];
		for (int i = 0; i < in.length; i++) {
			exps[i] = Math.exp(in[i] - max);
			sum += exps[i];
		}
		float[] out = new float[in.length];
		for (int i = 0; i < in.length; i++) {
			out[i] = (float) (exps[i] / sum);
		}
		return new Scores(out, scores.labels());
	}

	private static Scores argmax(Scores scores) {
		int best = scores.best();
		List<String> label = scores.labels().isEmpty() ? List.of(Integer.toString(best))
				: List.of(scores.labels().get(best));
		return new Scores(new float[] { scores.values()[best] }, label);
	}

	private static UnaryOperator<Scores> labels(Map<String, Object> args) {
		if (!(args.get("names") instanceof List<?> names) || names.isEmpty()) {
			throw new IllegalArgumentException("Operator 'labels' needs 'names', a list of label names");
		}
		List<String> labels = names.stream().map(String::valueOf).toList();
		return (scores) -> new Scores(scores.values(), labels);
	}

}
