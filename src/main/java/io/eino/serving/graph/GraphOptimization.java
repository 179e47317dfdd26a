package io.eino.serving.graph;

/**
 * How much of TensorFlow's graph optimisation a session gets (the startup "compile-time"
 * step).
 */
public enum GraphOptimization {

	/** None: the graph runs as imported (the "traditional" baseline). */
	NONE,

	/**
	 * Grappler with its rewrites named and on: constant folding, arithmetic
	 * simplification, remapper fusions, layout, shape, dependency and common-subgraph
	 * optimisation.
	 */
	DEFAULT,

	/** {@link #DEFAULT} plus XLA JIT compilation of the graph's clusters. */
	FULL

}
