package io.eino.serving.model.loading;

import java.util.ArrayList;
import java.util.List;

import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.GrapplerPass;
import io.eino.serving.graph.Precision;
import io.eino.serving.runtime.SessionSettings;

/**
 * One way the startup step may serve a version, measured against the graph as imported.
 *
 * @param name the step's name in the metadata and the log
 * @param settings the session settings that make it
 * @param precision {@code fp32}, {@code bf16} or {@code int8}
 * @param what what it does to the graph, for the report
 */
record Candidate(String name, SessionSettings settings, String precision, String what) {

	private static final String PASSES = "constant folding, arithmetic, remapper fusions, layout, shape, dependency, "
			+ "common subgraphs";

	/**
	 * The candidates a configuration and CPU allow, the baseline not included
	 * (docs/engine.md, "Startup optimisation").
	 */
	static List<Candidate> offered(GraphOptimization level, Precision precision, boolean bfloat16Hardware,
			boolean int8Hardware, SessionSettings base) {
		List<Candidate> candidates = new ArrayList<>();
		if (level == GraphOptimization.NONE) {
			return candidates;
		}
		SessionSettings grappler = base.withOptimization(GraphOptimization.DEFAULT, false);
		String withoutFolding = PASSES.replace("constant folding, ", "");
		candidates.add(new Candidate("grappler", grappler, "fp32", PASSES));
		candidates.add(new Candidate("grappler without remapper", grappler.without(GrapplerPass.REMAPPING), "fp32",
				PASSES.replace("remapper fusions, ", "")));
		if (level == GraphOptimization.FULL) {
			candidates.add(new Candidate("xla-jit", base.withOptimization(GraphOptimization.FULL, false), "fp32",
					PASSES + "; XLA compiles each new input shape once"));
		}
		if (precision == Precision.FP32) {
			return candidates;
		}
		SessionSettings bf16 = base.withOptimization(GraphOptimization.DEFAULT, true);
		if (bfloat16Hardware) {
			candidates.add(new Candidate("bf16", bf16, "bf16", PASSES + "; oneDNN's bfloat16 rewrite"));
			candidates.add(new Candidate("bf16 without constant folding", bf16.without(GrapplerPass.CONSTANT_FOLDING),
					"bf16", withoutFolding + "; oneDNN's bfloat16 rewrite"));
		}
		String int8 = "; weight products in int8 with dynamic activation scales";
		if (int8Hardware && bfloat16Hardware) {
			// The rest (attention, GELU, residuals) in bf16: 1.15× int8 with the rest
			// in fp32 on the default model.
			candidates.add(new Candidate("int8", bf16.without(GrapplerPass.CONSTANT_FOLDING).withInt8(), "int8",
					withoutFolding + int8 + ", the rest in oneDNN's bfloat16"));
		}
		else if (int8Hardware) {
			candidates.add(new Candidate("int8", grappler.withInt8(), "int8", PASSES + int8));
		}
		return candidates;
	}

	/** Whether it computes in reduced precision (checked by the accuracy gate). */
	boolean reduced() {
		return !this.precision.equals("fp32");
	}

}
