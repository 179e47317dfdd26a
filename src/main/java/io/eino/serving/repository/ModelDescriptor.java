package io.eino.serving.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.operator.OperatorSpec;
import io.eino.serving.runtime.Pooling;
import io.eino.serving.text.Overflow;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A model's {@code model.yaml}: how text becomes the signature's inputs and how its
 * outputs become a prediction.
 *
 * <pre>
 * task: classification          # classification | embedding
 * signature: serving_default
 * tokenizer: tokenizer.json     # looked up in the version directory, then the model directory
 * max-tokens: 256
 * overflow: truncate            # truncate | reject
 * labels: [negative, positive]  # classification only, in output order
 * output: probabilities         # the signature output the prediction is read from
 * evaluation: evaluation.tsv    # optional: texts (label TAB text) for the precision check
 * preprocess: [lowercase]       # optional: text operators, in order
 * postprocess:                  # optional: operators on each text's output values
 *   - relu
 *   - {name: labels, names: [negative, positive]}
 * pooling: mean                  # embedding only: mean | cls | none (the output is one vector per text)
 * normalize: true                # embedding only: L2-normalise each vector after pooling
 * </pre>
 *
 * @param task what a prediction is
 * @param signature the signature text requests run
 * @param tokenizer the tokenizer file name
 * @param maxTokens the model's window, special tokens included
 * @param overflow what happens to longer texts
 * @param labels class labels (classification)
 * @param output the output read
 * @param evaluation a file of texts the startup step checks reduced precision on (like
 * the tokenizer, looked up in the version directory, then the model directory); null when
 * the model has none
 * @param preprocess text operators applied before tokenization
 * @param postprocess operators applied to each text's output values
 * @param pooling how an embedding model's output becomes one vector per text
 * ({@link Pooling#NONE} for classifiers)
 */
public record ModelDescriptor(Task task, String signature, String tokenizer, int maxTokens, Overflow overflow,
		List<String> labels, String output, String evaluation, List<OperatorSpec> preprocess,
		List<OperatorSpec> postprocess, Pooling pooling) {

	public static final String FILE_NAME = "model.yaml";

	private static final YAMLMapper YAML = YAMLMapper.builder()
		.propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
		.build();

	/** What the model's text predictions are. */
	public enum Task {

		/** Labels with probabilities. */
		CLASSIFICATION,

		/** A vector per text. */
		EMBEDDING

	}

	public ModelDescriptor {
		labels = (labels != null) ? List.copyOf(labels) : List.of();
		preprocess = (preprocess != null) ? List.copyOf(preprocess) : List.of();
		postprocess = (postprocess != null) ? List.copyOf(postprocess) : List.of();
		pooling = (pooling != null) ? pooling : Pooling.NONE;
		if (task == Task.CLASSIFICATION && labels.isEmpty()) {
			throw new IllegalArgumentException("A classification model needs labels");
		}
		if (task != Task.EMBEDDING && !pooling.isIdentity()) {
			throw new IllegalArgumentException("pooling and normalize apply to embedding models only");
		}
		if (maxTokens < 2) {
			throw new IllegalArgumentException("max-tokens must leave room for the special tokens");
		}
	}

	/** A descriptor whose embeddings, if any, are the output as the model computes it. */
	public ModelDescriptor(Task task, String signature, String tokenizer, int maxTokens, Overflow overflow,
			List<String> labels, String output, String evaluation, List<OperatorSpec> preprocess,
			List<OperatorSpec> postprocess) {
		this(task, signature, tokenizer, maxTokens, overflow, labels, output, evaluation, preprocess, postprocess,
				Pooling.NONE);
	}

	public ModelDescriptor withLimits(int maxTokens, Overflow overflow) {
		return new ModelDescriptor(this.task, this.signature, this.tokenizer, maxTokens, overflow, this.labels,
				this.output, this.evaluation, this.preprocess, this.postprocess, this.pooling);
	}

	public static ModelDescriptor read(Path file) {
		try {
			Map<String, Object> raw = YAML.readValue(file.toFile(), Map.class);
			return new ModelDescriptor(enumValue(Task.class, raw.getOrDefault("task", "classification")),
					String.valueOf(raw.getOrDefault("signature", "serving_default")),
					String.valueOf(raw.getOrDefault("tokenizer", "tokenizer.json")),
					((Number) raw.getOrDefault("max-tokens", 256)).intValue(),
					enumValue(Overflow.class, raw.getOrDefault("overflow", "truncate")), stringList(raw.get("labels")),
					String.valueOf(raw.getOrDefault("output", "probabilities")),
					(raw.get("evaluation") != null) ? String.valueOf(raw.get("evaluation")) : null,
					OperatorSpec.parse(raw.get("preprocess")), OperatorSpec.parse(raw.get("postprocess")),
					new Pooling(Pooling.Mode.of(String.valueOf(raw.getOrDefault("pooling", "none"))),
							bool(raw.getOrDefault("normalize", false), "normalize")));
		}
		catch (JacksonException | ClassCastException | IllegalArgumentException ex) {
			throw new IllegalArgumentException("Invalid " + file + ": " + ex.getMessage(), ex);
		}
	}

	/** Writes the descriptor atomically (temporary file, then rename). */
	public void write(Path file) {
		Map<String, Object> raw = new LinkedHashMap<>();
		raw.put("task", this.task.name().toLowerCase(Locale.ROOT));
		raw.put("signature", this.signature);
		raw.put("tokenizer", this.tokenizer);
		raw.put("max-tokens", this.maxTokens);
		raw.put("overflow", this.overflow.name().toLowerCase(Locale.ROOT));
		if (!this.labels.isEmpty()) {
			raw.put("labels", this.labels);
		}
		raw.put("output", this.output);
		if (this.evaluation != null) {
			raw.put("evaluation", this.evaluation);
		}
		if (!this.preprocess.isEmpty()) {
			raw.put("preprocess", this.preprocess.stream().map(OperatorSpec::toYaml).toList());
		}
		if (!this.postprocess.isEmpty()) {
			raw.put("postprocess", this.postprocess.stream().map(OperatorSpec::toYaml).toList());
		}
		if (this.task == Task.EMBEDDING) {
			raw.put("pooling", this.pooling.mode().name().toLowerCase(Locale.ROOT));
			raw.put("normalize", this.pooling.normalize());
		}
		try {
			Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
			YAML.writeValue(temporary.toFile(), raw);
			Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static <E extends Enum<E>> E enumValue(Class<E> type, Object value) {
		return Enum.valueOf(type, String.valueOf(value).trim().toUpperCase(Locale.ROOT));
	}

	private static boolean bool(Object value, String key) {
		if (value instanceof Boolean flag) {
			return flag;
		}
		throw new IllegalArgumentException(key + " must be true or false, not '" + value + "'");
	}

	private static List<String> stringList(Object value) {
		if (value == null) {
			return List.of();
		}
		return ((List<?>) value).stream().map(String::valueOf).toList();
	}

}
