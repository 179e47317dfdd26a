package io.eino.serving.operator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The operators {@code model.yaml} pipelines may name: the built-ins and every registered
 * {@link OperatorDefinition}. Names are unique. Thread safe once built.
 */
public final class OperatorRegistry {

	private final Map<String, OperatorDefinition> definitions = new TreeMap<>();

	/** The built-ins and {@code registered}. */
	public OperatorRegistry(List<OperatorDefinition> registered) {
		BuiltInOperators.all().forEach(this::add);
		registered.forEach(this::add);
	}

	private void add(OperatorDefinition definition) {
		OperatorDefinition previous = this.definitions.putIfAbsent(definition.name(), definition);
		if (previous != null) {
			throw new IllegalStateException("Two operators are named '" + definition.name() + "'");
		}
	}

	public List<String> names() {
		return List.copyOf(this.definitions.keySet());
	}

	/**
	 * Builds a model's pipeline.
	 * @throws IllegalArgumentException naming the entry that is unknown, used in the
	 * wrong stage or refused its arguments
	 */
	@SuppressWarnings("unchecked")
	public Pipeline compile(List<OperatorSpec> preprocess, List<OperatorSpec> postprocess) {
		List<String> names = new ArrayList<>();
		List<UnaryOperator<String>> texts = new ArrayList<>();
		for (OperatorSpec spec : preprocess) {
			texts.add((UnaryOperator<String>) build(spec, OperatorDefinition.Stage.PREPROCESS));
			names.add(spec.name());
		}
		List<UnaryOperator<Scores>> scores = new ArrayList<>();
		for (OperatorSpec spec : postprocess) {
			scores.add((UnaryOperator<Scores>) build(spec, OperatorDefinition.Stage.POSTPROCESS));
			names.add(spec.name());
		}
		return new Pipeline(names, texts, scores);
	}

	private UnaryOperator<?> build(OperatorSpec spec, OperatorDefinition.Stage stage) {
		OperatorDefinition definition = this.definitions.get(spec.name());
		if (definition == null) {
			throw new IllegalArgumentException(
					"Unknown operator '" + spec.name() + "'; the registered operators are " + names());
		}
		if (definition.stage() != stage) {
			throw new IllegalArgumentException("Operator '" + spec.name() + "' is a "
					+ definition.stage().name().toLowerCase(java.util.Locale.ROOT) + " operator");
		}
		return definition.factory().apply(spec.arguments());
	}

}
