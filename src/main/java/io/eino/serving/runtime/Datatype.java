package io.eino.serving.runtime;

import org.tensorflow.proto.DataType;

/**
 * A tensor's element type as the Open Inference Protocol names it (docs/protocols.md,
 * "Datatypes"), with the TensorFlow type behind it: the one vocabulary of types every
 * protocol, the runtime and the signatures share. Those TensorFlow Java has tensors for
 * are {@link #served()}; the others can only be described.
 */
public enum Datatype {

	BOOL(DataType.DT_BOOL, true), UINT8(DataType.DT_UINT8, true), UINT16(DataType.DT_UINT16, true),
	UINT32(DataType.DT_UINT32, false), UINT64(DataType.DT_UINT64, false), INT8(DataType.DT_INT8, false),
	INT16(DataType.DT_INT16, false), INT32(DataType.DT_INT32, true), INT64(DataType.DT_INT64, true),
	FP16(DataType.DT_HALF, true), BF16(DataType.DT_BFLOAT16, true), FP32(DataType.DT_FLOAT, true),
	FP64(DataType.DT_DOUBLE, true), BYTES(DataType.DT_STRING, true);

	private final DataType tensorFlow;

	private final boolean served;

	Datatype(DataType tensorFlow, boolean served) {
		this.tensorFlow = tensorFlow;
		this.served = served;
	}

	/** The TensorFlow element type behind it. */
	public DataType tensorFlow() {
		return this.tensorFlow;
	}

	/**
	 * Whether a signature can take and answer it (TensorFlow Java has tensors for it).
	 */
	public boolean served() {
		return this.served;
	}

	/** The names of the served datatypes, sorted: what a refusal lists. */
	public static java.util.SortedSet<String> servedNames() {
		java.util.SortedSet<String> names = new java.util.TreeSet<>();
		for (Datatype datatype : values()) {
			if (datatype.served) {
				names.add(datatype.name());
			}
		}
		return names;
	}

	/** The datatype a wire message names, exactly as spelled; null when it names none. */
	public static Datatype named(String name) {
		for (Datatype datatype : values()) {
			if (datatype.name().equals(name)) {
				return datatype;
			}
		}
		return null;
	}

	/** The datatype of a TensorFlow element type; null when it has none. */
	public static Datatype of(DataType tensorFlow) {
		for (Datatype datatype : values()) {
			if (datatype.tensorFlow == tensorFlow) {
				return datatype;
			}
		}
		return null;
	}

}
