package io.eino.serving.graph;

import org.tensorflow.TensorFlow;

/**
 * The fused ops of this TensorFlow build that rewrites and the importer may emit: an op
 * that the build does not register cannot be imported into a graph.
 */
public final class FusedOps {

	/** oneDNN's fused LayerNorm op. */
	public static final String LAYER_NORM = "_MklLayerNorm";

	private static final boolean LAYER_NORM_REGISTERED = TensorFlow.registeredOpList()
		.getOpList()
		.stream()
		.anyMatch((op) -> op.getName().equals(LAYER_NORM));

	private FusedOps() {
	}

	/**
	 * Whether this TensorFlow build registers oneDNN's fused LayerNorm,
	 * {@value #LAYER_NORM} (the x86 builds): the importer and the encoder rewrites emit
	 * it only then.
	 */
	public static boolean layerNorm() {
		return LAYER_NORM_REGISTERED;
	}

}
