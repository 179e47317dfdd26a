package io.eino.serving.bench;

import java.util.Locale;

import tools.jackson.databind.JsonNode;

/**
 * The benchmark's "time by op type" table (docs/benchmark.md): the step traces the
 * service's startup step recorded for the reference batch, before and after each
 * optimisation, read from its metadata endpoint ({@code optimization_steps[].op_time}).
 */
final class OpTimeTable {

	private OpTimeTable() {
	}

	/** The table, or a line saying there is none. */
	static String of(JsonNode steps) {
		if (steps == null || !steps.isArray() || steps.isEmpty()) {
			return "\nNo op-time breakdown: the service reported no optimisation steps.\n";
		}
		StringBuilder table = new StringBuilder("\nTime by op type of the reference batch (8 × 32 tokens), per startup "
				+ "step of eino tuned (TensorFlow's step trace; op time sums every node):\n\n"
				+ "| step | applied | run ms | op time ms | nodes | most op time (ms, nodes) |\n|---|---|---|---|---|---|\n");
		for (JsonNode step : steps) {
			if (!step.has("op_time")) {
				continue;
			}
			StringBuilder ops = new StringBuilder();
			int shown = 0;
			for (JsonNode op : step.get("op_time")) {
				if (shown++ == 6) {
					break;
				}
				ops.append((shown > 1) ? ", " : "")
					.append(String.format(Locale.ROOT, "`%s` %.1f (%d)", op.get("op").asString(),
							op.get("ms").asDouble(), op.get("nodes").asInt()));
			}
			table
				.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %d | %s |%n", step.get("name").asString(),
						step.get("applied").asBoolean() ? "yes" : "no", step.path("batches_ms").asDouble(),
						step.get("op_time_ms").asDouble(), step.get("nodes_run").asInt(), ops));
		}
		return table.toString();
	}

}
