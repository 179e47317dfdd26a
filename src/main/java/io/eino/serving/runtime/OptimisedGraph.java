package io.eino.serving.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.eino.serving.graph.GraphIndex;
import io.eino.serving.graph.GraphOptimization;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.SignatureDef;

/**
 * The graph a frozen session really runs, after Grappler and TensorFlow's own graph
 * passes (oneDNN's op rewrites among them), kept so that a later start can open it with
 * those passes off instead of paying them again: for the default model they take most of
 * a session's first run (about 7 s against 1 s).
 *
 * <p>
 * TensorFlow Java has no call that returns Grappler's output, and TensorFlow exposes it
 * only as the partition graph a run reports ({@code RunOptions.output_partition_graphs}).
 * That graph feeds and fetches through {@code _Arg} and {@code _Retval} nodes; this class
 * turns the feeds back into the signature's placeholders and drops the fetches, so that
 * the signature's tensor names hold. It is written here because no library does it.
 * Captured only where the run has one partition (no device copies, no XLA clusters) and
 * the version one signature, run with every output, so that the stored graph serves what
 * the version serves.
 */
public final class OptimisedGraph {

	/** Ops that make a partition graph something other than one plain CPU graph. */
	private static final Set<String> UNPORTABLE = Set.of("_Send", "_Recv", "_HostSend", "_HostRecv", "_XlaCompile",
			"_XlaRun", "_XlaMerge", "XlaLaunch");

	private OptimisedGraph() {
	}

	/**
	 * The optimised graph and its signature, and what it answered to {@code inputs}.
	 *
	 * @param graph the graph with the signature, as a meta graph
	 * @param outputs every output of the signature for the inputs it was captured with
	 */
	public record Captured(MetaGraphDef graph, Map<String, HostTensor> outputs) {
	}

	/**
	 * Runs the runner's only signature on {@code inputs}, fetching every output, and
	 * returns the graph the session ran; null, with the reason in {@code why}, when it
	 * cannot be stored (the runner serves the bundle as loaded, the version has several
	 * signatures, or the run spans devices).
	 */
	public static Captured capture(SavedModelRunner runner, Map<String, HostTensor> inputs, StringBuilder why) {
		if (!runner.frozen()) {
			why.append("the graph is served as loaded");
			return null;
		}
		if (runner.signatureDefs().size() != 1) {
			why.append("the version has ").append(runner.signatureDefs().size()).append(" signatures");
			return null;
		}
		Map.Entry<String, SignatureDef> signature = runner.signatureDefs().entrySet().iterator().next();
		if (!signature.getValue().getInputsMap().keySet().equals(inputs.keySet())) {
			why.append("the probe feeds ")
				.append(inputs.keySet())
				.append(", the signature takes ")
				.append(signature.getValue().getInputsMap().keySet());
			return null;
		}
		List<String> feeds = new ArrayList<>(inputs.keySet());
		List<String> fetches = new ArrayList<>(signature.getValue().getOutputsMap().keySet());
		Map<String, Tensor> fed = new LinkedHashMap<>();
		try {
			Session.Runner run = runner.session()
				.runner()
				.setOptions(RunOptions.newBuilder().setOutputPartitionGraphs(true).build());
			for (String feed : feeds) {
				Tensor tensor = TensorConversions.toTensor(inputs.get(feed));
				fed.put(feed, tensor);
				run.feed(signature.getValue().getInputsMap().get(feed).getName(), tensor);
			}
			for (String fetch : fetches) {
				run.fetch(signature.getValue().getOutputsMap().get(fetch).getName());
			}
			try (Result result = run.runAndFetchMetadata()) {
				RunMetadata metadata = result.getMetadata()
					.orElseThrow(() -> new ModelRuntimeException("TensorFlow returned no run metadata"));
				if (metadata.getPartitionGraphsCount() != 1) {
					why.append("the run spans ").append(metadata.getPartitionGraphsCount()).append(" partitions");
					return null;
				}
				List<String> feedNodes = feeds.stream()
					.map((feed) -> GraphIndex.nodeName(signature.getValue().getInputsMap().get(feed).getName()))
					.toList();
				GraphDef graph = importable(metadata.getPartitionGraphs(0), feedNodes, why);
				if (graph == null) {
					return null;
				}
				Map<String, HostTensor> outputs = new LinkedHashMap<>();
				for (int i = 0; i < fetches.size(); i++) {
					outputs.put(fetches.get(i), TensorConversions.fromTensor(result.get(i), fetches.get(i)));
				}
				return new Captured(MetaGraphDef.newBuilder()
					.setGraphDef(graph)
					.putSignatureDef(signature.getKey(), signature.getValue())
					.build(), outputs);
			}
		}
		catch (TensorFlowException ex) {
			throw new ModelRuntimeException("TensorFlow failed running " + runner.directory() + ": " + ex.getMessage(),
					ex);
		}
		finally {
			fed.values().forEach(Tensor::close);
		}
	}

	/**
	 * The partition graph of a run that fed {@code feedNodes}, made importable: each
	 * {@code _Arg} becomes the placeholder it stood for, under that placeholder's name,
	 * the {@code _Retval} nodes go, and devices are left to the session that opens it.
	 * Null, with the reason in {@code why}, for a graph that holds device copies or XLA
	 * clusters.
	 */
	static GraphDef importable(GraphDef partition, List<String> feedNodes, StringBuilder why) {
		Map<String, String> renamed = new HashMap<>();
		for (NodeDef node : partition.getNodeList()) {
			if (UNPORTABLE.contains(node.getOp())) {
				why.append("the graph holds ").append(node.getOp()).append(" nodes");
				return null;
			}
			if (node.getOp().equals("_Arg")) {
				String feed = fedBy(node.getName(), feedNodes);
				if (feed == null) {
					why.append("its feed ").append(node.getName()).append(" names no input");
					return null;
				}
				renamed.put(node.getName(), feed);
			}
		}
		GraphDef.Builder graph = GraphDef.newBuilder().setVersions(partition.getVersions());
		for (NodeDef node : partition.getNodeList()) {
			if (node.getOp().equals("_Retval")) {
				continue;
			}
			NodeDef.Builder copy = node.toBuilder().clearDevice();
			if (node.getOp().equals("_Arg")) {
				copy.setName(renamed.get(node.getName()))
					.setOp("Placeholder")
					.clearAttr()
					.putAttr("dtype", AttrValue.newBuilder().setType(node.getAttrMap().get("T").getType()).build());
			}
			for (int i = 0; i < copy.getInputCount(); i++) {
				String input = copy.getInput(i);
				String feed = renamed.get(GraphIndex.nodeName(input));
				if (feed != null) {
					copy.setInput(i, (input.startsWith("^") ? "^" : "") + feed
							+ (input.contains(":") ? input.substring(input.indexOf(':')) : ""));
				}
			}
			graph.addNode(copy);
		}
		return graph.build();
	}

	/**
	 * The feed an {@code _Arg} node stands for. TensorFlow names it
	 * {@code _arg_<node>_<port>_<index>}, the index counting the feeds in an order of its
	 * own, so the name is what identifies it.
	 */
	private static String fedBy(String arg, List<String> feedNodes) {
		for (String feed : feedNodes) {
			String prefix = "_arg_" + feed + "_";
			if (arg.startsWith(prefix) && arg.substring(prefix.length()).matches("\\d+_\\d+")) {
				return feed;
			}
		}
		return null;
	}

	/**
	 * Opens a session on a stored optimised graph with Grappler and the graph optimiser
	 * off ({@code settings}' threads and GPU options kept): it runs as the session it was
	 * captured from did, without optimising again.
	 * @throws ModelRuntimeException if TensorFlow cannot import it
	 */
	public static SavedModelRunner open(java.nio.file.Path directory, MetaGraphDef optimised,
			SessionSettings settings) {
		Graph graph = new Graph();
		try {
			graph.importGraphDef(optimised.getGraphDef());
			Session session = new Session(graph,
					settings.withOptimization(GraphOptimization.NONE, false).toConfigProto());
			return new SavedModelRunner(directory, optimised.getSignatureDefMap(), session, graph,
					"the optimised graph an earlier start stored");
		}
		catch (TensorFlowException | IllegalArgumentException ex) {
			graph.close();
			throw new ModelRuntimeException(
					"TensorFlow could not open the stored optimised graph of " + directory + ": " + ex.getMessage(),
					ex);
		}
	}

	/**
	 * The largest difference between two runs' outputs (floating-point elements by value;
	 * any other difference of shape, type or element counts as infinite).
	 */
	public static double difference(Map<String, HostTensor> expected, Map<String, HostTensor> actual) {
		double largest = 0;
		for (Map.Entry<String, HostTensor> output : expected.entrySet()) {
			HostTensor other = actual.get(output.getKey());
			HostTensor tensor = output.getValue();
			if (other == null || !other.datatype().equals(tensor.datatype())
					|| !Arrays.equals(other.shape(), tensor.shape())) {
				return Double.POSITIVE_INFINITY;
			}
			for (int i = 0; i < tensor.size(); i++) {
				Object a = tensor.element(i);
				Object b = other.element(i);
				if (a instanceof Number x && (a instanceof Float || a instanceof Double)) {
					double u = x.doubleValue();
					double v = ((Number) b).doubleValue();
					if (Double.isNaN(u) != Double.isNaN(v)) {
						return Double.POSITIVE_INFINITY;
					}
					largest = Double.isNaN(u) ? largest : Math.max(largest, Math.abs(u - v));
				}
				else if (!((a instanceof byte[] bytes) ? Arrays.equals(bytes, (byte[]) b) : a.equals(b))) {
					return Double.POSITIVE_INFINITY;
				}
			}
		}
		return largest;
	}

}
