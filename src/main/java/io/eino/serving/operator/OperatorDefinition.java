package io.eino.serving.operator;

import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A named operator factory, registered by name as TensorFlow's {@code RegisterOp} does
 * (docs/request-path.md): declare one as a Spring bean and a model's {@code model.yaml}
 * can name it in its {@code preprocess} (texts) or {@code postprocess} (scores) pipeline.
 * The factory gets the entry's arguments from {@code model.yaml} as plain values and
 * returns the operator; it runs when a model version loads and should refuse bad
 * arguments with an {@link IllegalArgumentException}. Operators must be thread safe and
 * must not block.
 *
 * @param name the name {@code model.yaml} uses
 * @param stage where it may be used
 * @param factory builds the operator ({@code UnaryOperator<String>} for texts,
 * {@code UnaryOperator<Scores>} for scores) from its arguments
 */
public record OperatorDefinition(String name, Stage stage, Function<Map<String, Object>, UnaryOperator<?>> factory) {

	/** Where an operator runs. */
	public enum Stage {

		/** On each text, after validation and plugins, before tokenization. */
		PREPROCESS,

		/** On each text's output values, before they become a prediction. */
		POSTPROCESS

	}

	/** A text operator. */
	public static OperatorDefinition preprocess(String name,
			Function<Map<String, Object>, UnaryOperator<String>> factory) {
		return new OperatorDefinition(name, Stage.PREPROCESS, factory::apply);
	}

	/** A scores operator. */
	public static OperatorDefinition postprocess(String name,
			Function<Map<String, Object>, UnaryOperator<Scores>> factory) {
		return new OperatorDefinition(name, Stage.POSTPROCESS, factory::apply);
	}

}
