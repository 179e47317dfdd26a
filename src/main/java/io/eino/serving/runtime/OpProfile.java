package io.eino.serving.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;

/**
 * Where one session run spends its time, by op type: TensorFlow's step trace
 * ({@code RunOptions} full trace → {@code StepStats}) summed per op type. Op types are
 * those of the graph that ran, after Grappler's rewrites ({@code _FusedMatMul}, …), read
 * from each node's timeline label.
 *
 * @param ops the op types, most time first
 * @param nodes the nodes that ran
 * @param millis the op time of all of them (ops run side by side may overlap, so this can
 * exceed the run's wall time)
 */
public record OpProfile(List<OpTime> ops, int nodes, double millis) {

	private static final Pattern LABEL = Pattern.compile("=\\s*([A-Za-z0-9_]+)\\(");

	/**
	 * One op type's share of a run.
	 *
	 * @param op the op type
	 * @param nodes how many of its nodes ran
	 * @param millis their op time
	 */
	public record OpTime(String op, int nodes, double millis) {
	}

	public OpProfile {
		ops = List.copyOf(ops);
	}

	/** The step trace of one run, by op type. */
	public static OpProfile of(RunMetadata metadata) {
		Map<String, double[]> byOp = new LinkedHashMap<>();
		int nodes = 0;
		double total = 0;
		for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
			for (NodeExecStats node : device.getNodeStatsList()) {
				String op = opType(node);
				double millis = Math.max(0, node.getOpEndRelMicros() - node.getOpStartRelMicros()) / 1000.0;
				double[] sums = byOp.computeIfAbsent(op, (key) -> new double[2]);
				sums[0]++;
				sums[1] += millis;
				nodes++;
				total += millis;
			}
		}
		List<OpTime> ops = new ArrayList<>();
		byOp.forEach((op, sums) -> ops.add(new OpTime(op, (int) sums[0], sums[1])));
		ops.sort(Comparator.comparingDouble(OpTime::millis).reversed());
		return new OpProfile(ops, nodes, total);
	}

	/**
	 * The nodes that ran as one fused kernel: TensorFlow's internal fused ops
	 * ({@code _FusedMatMul}, {@code _MklNativeFusedMatMul}, {@code _MklLayerNorm},
	 * {@code _MklSwish}, …), each standing for several ops of the graph as written.
	 */
	public int fusedNodes() {
		return this.ops.stream().filter((op) -> isFused(op.op())).mapToInt(OpTime::nodes).sum();
	}

	static boolean isFused(String op) {
		return op.startsWith("_") && (op.contains("Fused") || op.contains("LayerNorm") || op.contains("Swish"));
	}

	/** The {@code count} op types that take most time. */
	public List<OpTime> top(int count) {
		return this.ops.subList(0, Math.min(count, this.ops.size()));
	}

	private static String opType(NodeExecStats node) {
		Matcher label = LABEL.matcher(node.getTimelineLabel());
		if (label.find()) {
			return label.group(1);
		}
		String name = node.getNodeName();
		return name.startsWith("_") ? name : "(unlabelled)";
	}

}
