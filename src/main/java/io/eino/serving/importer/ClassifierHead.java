package io.eino.serving.importer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;

/**
 * A linear classification head over the pooled, L2-normalised sentence embedding:
 * {@code logits = embedding · weights + bias}, {@code probabilities = softmax(logits)}.
 *
 * @param labels the class labels, in output order
 * @param weights one row per label, each as long as the embedding
 * @param bias one value per label
 * @param provenance where the weights came from (data, licence, method, command); carried
 * along into the model repository for docs/models.md and the metadata endpoint
 */
public record ClassifierHead(List<String> labels, float[][] weights, float[] bias, Map<String, Object> provenance) {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	public ClassifierHead {
		if (labels.isEmpty() || weights.length != labels.size() || bias.length != labels.size()) {
			throw new IllegalArgumentException("A classifier head needs one weight row and one bias per label");
		}
		for (float[] row : weights) {
			if (row.length != weights[0].length) {
				throw new IllegalArgumentException("Every weight row of a classifier head has the same length");
			}
		}
		labels = List.copyOf(labels);
		provenance = Map.copyOf(provenance);
	}

	public int embeddingSize() {
		return this.weights[0].length;
	}

	public static ClassifierHead read(Path file) throws IOException {
		try (var in = Files.newInputStream(file)) {
			return JSON.readValue(in, ClassifierHead.class);
		}
	}

	public static ClassifierHead read(java.io.InputStream in) {
		return JSON.readValue(in, ClassifierHead.class);
	}

	public void write(Path file) throws IOException {
		Files.createDirectories(file.toAbsolutePath().getParent());
		JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
	}

}
