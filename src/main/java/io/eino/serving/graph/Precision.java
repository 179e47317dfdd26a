package io.eino.serving.graph;

/** The arithmetic a session computes in. */
public enum Precision {

	/** float32 throughout. */
	FP32,

	/**
	 * bfloat16 where the hardware runs it natively (CPUs with AVX512-BF16 or AMX), kept
	 * only when it agrees with float32 on the model's evaluation texts and is faster.
	 */
	AUTO

}
