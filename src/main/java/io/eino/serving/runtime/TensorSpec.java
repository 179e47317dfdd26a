package io.eino.serving.runtime;

/**
 * One input or output of a signature.
 *
 * @param name the signature key
 * @param datatype the element type, as Open Inference Protocol names it ({@code INT64},
 * {@code FP32}, ...)
 * @param tensorFlowType the element type as TensorFlow names it ({@code DT_INT64}, ...)
 * @param shape the static shape, -1 for unknown dimensions
 * @param tensorName the graph tensor behind it ({@code name:index})
 */
public record TensorSpec(String name, String datatype, String tensorFlowType, long[] shape, String tensorName) {
}
