package io.eino.serving.graph;

/**
 * The Grappler passes the startup step may leave out of a candidate graph, because on
 * some models and CPUs they make the graph slower: the startup step measures the graph
 * with and without them and serves only what is measurably faster than the graph as
 * imported (docs/engine.md, "The startup optimisation step").
 */
public enum GrapplerPass {

	/**
	 * Constant folding. With bfloat16 it folds the weights' casts into bfloat16
	 * constants, which oneDNN's fused products ran slower on the default model than
	 * casting them each run (measured: 40 against 26 ms for a batch of 8).
	 */
	CONSTANT_FOLDING,

	/**
	 * The remapper's fusions (a product with its bias and activation as one node). In
	 * float32 on the default model's packed-token graph they made the batch 2.4× slower.
	 */
	REMAPPING

}
