package io.eino.serving.importer;

import org.tensorflow.Operand;

/**
 * Translates one ONNX node into TensorFlow operations added through the context's
 * {@code Ops}. Returns the node's (single) output value.
 */
@FunctionalInterface
interface OperatorTranslator {

	Operand<?> translate(TranslationContext context, OnnxNode node);

}
