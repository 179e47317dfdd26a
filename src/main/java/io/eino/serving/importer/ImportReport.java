package io.eino.serving.importer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one import did.
 *
 * @param exportDirectory the SavedModel written
 * @param opsetVersion the ONNX default-domain opset of the source
 * @param operatorCounts ONNX nodes translated, by operator type (after fusion)
 * @param fusedCounts chains replaced by one fused node, by fused operator type
 * ({@code LayerNormalization}, {@code Gelu})
 * @param parameterCount weights carried over as constants (elements)
 * @param packedProducts weight products that run on the real tokens only (docs/engine.md,
 * "Graph rewrites": packed tokens); 0 when the encoder has no attention mask
 * @param outputs the outputs of the {@code serving_default} signature
 * @param elapsed wall time of the whole import
 */
public record ImportReport(Path exportDirectory, long opsetVersion, Map<String, Integer> operatorCounts,
		Map<String, Integer> fusedCounts, long parameterCount, int packedProducts, List<String> outputs,
		Duration elapsed) {

	public int nodeCount() {
		return this.operatorCounts.values().stream().mapToInt(Integer::intValue).sum();
	}

}
