package io.eino.serving.runtime;

/**
 * One input or output of a signature.
 *
 * @param name the signature key
 * @param datatype the element type; null when the Open Inference Protocol has no name for
 * it (then only {@code tensorFlowType} names it)
 * @param tensorFlowType the element type as TensorFlow names it ({@code DT_INT64}, ...)
 * @param shape the static shape, -1 for unknown dimensions
 * @param tensorName the graph tensor behind it ({@code name:index})
 */
public record TensorSpec(String name, Datatype datatype, String tensorFlowType, long[] shape, String tensorName) {

	/** Its datatype's name, or TensorFlow's where the protocol has none. */
	public String datatypeName() {
		return (this.datatype != null) ? this.datatype.name() : this.tensorFlowType;
	}

}
