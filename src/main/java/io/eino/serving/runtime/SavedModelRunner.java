package io.eino.serving.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.eino.serving.graph.FrozenGraph;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.RewriteException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * One loaded SavedModel and its TensorFlow session.
 *
 * <p>
 * Thread safe: TensorFlow sessions accept concurrent runs. Every native tensor and
 * {@link Result} created by {@link #run} is closed before it returns, on every path;
 * callers exchange only {@link HostTensor}s. {@link #close()} frees the session and graph
 * (the bundle's, or the frozen copy's); it must not overlap a run (the model registry
 * drains a version before closing it).
 */
public final class SavedModelRunner implements AutoCloseable {

	public static final String SERVE_TAG = "serve";

	private static final Logger logger = LoggerFactory.getLogger(SavedModelRunner.class);

	/**
	 * The inputs of a BERT-family text model's signature, in this order: token ids,
	 * attention mask, token type ids.
	 */
	public static final List<String> TOKEN_INPUTS = List.of("input_ids", "attention_mask", "token_type_ids");

	private final Path directory;

	private final AutoCloseable owner;

	private final Session session;

	/** What freezing and rewriting did; null when the bundle is served as loaded. */
	private final String rewrites;

	private final Map<String, SignatureSpec> signatures;

	private final Map<String, SignatureDef> signatureDefs;

	SavedModelRunner(Path directory, Map<String, SignatureDef> signatureDefs, Session session, AutoCloseable owner,
			String rewrites) {
		this.directory = directory;
		this.session = session;
		this.owner = owner;
		this.rewrites = rewrites;
		this.signatureDefs = new TreeMap<>(signatureDefs);
		Map<String, SignatureSpec> specs = new LinkedHashMap<>();
		this.signatureDefs.forEach((key, definition) -> specs.put(key, SignatureSpec.of(key, definition)));
		this.signatures = Map.copyOf(specs);
	}

	/**
	 * Loads the SavedModel in {@code directory} (tag {@value #SERVE_TAG}). With graph
	 * optimisation on, a model whose signatures read variables is served frozen
	 * ({@link FrozenGraph}): its variables become constants and what the signatures do
	 * not reach is pruned, in a new graph that the session's Grappler then rewrites; so
	 * is a graph whose encoder layers {@code EncoderRewrite} puts in fusable forms.
	 * @throws ModelRuntimeException if TensorFlow cannot load it
	 */
	public static SavedModelRunner load(Path directory, SessionSettings settings) {
		return load(directory, settings, null);
	}

	/**
	 * As {@link #load(Path, SessionSettings)}, taking the frozen graph from
	 * {@code shared} when an earlier load froze it, and leaving it there when this one
	 * does.
	 */
	public static SavedModelRunner load(Path directory, SessionSettings settings, FrozenGraphs shared) {
		if (!Files.isRegularFile(directory.resolve("saved_model.pb"))) {
			throw new ModelRuntimeException("No saved_model.pb in " + directory);
		}
		FrozenGraphs.Frozen known = (shared != null && settings.optimization() != GraphOptimization.NONE)
				? shared.get(settings) : null;
		try {
			if (known != null) {
				return open(directory, known, settings);
			}
			SavedModelBundle bundle = SavedModelBundle.loader(directory.toString())
				.withTags(SERVE_TAG)
				.withConfigProto(settings.toConfigProto())
				.load();
			Map<String, SignatureDef> signatures = bundle.metaGraphDef().getSignatureDefMap();
			if (settings.optimization() == GraphOptimization.NONE) {
				return new SavedModelRunner(directory, signatures, bundle.session(), bundle, null);
			}
			StringBuilder rewrites = new StringBuilder();
			GraphDef serving;
			try {
				serving = FrozenGraph.forServing(bundle, signatures.values(), settings.int8(), settings.ranges(),
						rewrites);
			}
			catch (RuntimeException ex) {
				bundle.close();
				throw (ex instanceof RewriteException) ? new ModelRuntimeException(ex.getMessage(), ex) : ex;
			}
			if (serving == null) {
				logger.debug("{} is served unfrozen: {}", directory, rewrites);
				return new SavedModelRunner(directory, signatures, bundle.session(), bundle, null);
			}
			logger.debug("{}: {}", directory, rewrites);
			bundle.close();
			FrozenGraphs.Frozen frozen = new FrozenGraphs.Frozen(serving, signatures, rewrites.toString());
			if (shared != null) {
				shared.put(settings, frozen);
			}
			return open(directory, frozen, settings);
		}
		catch (TensorFlowException ex) {
			throw new ModelRuntimeException("TensorFlow could not load " + directory + ": " + ex.getMessage(), ex);
		}
	}

	private static SavedModelRunner open(Path directory, FrozenGraphs.Frozen frozen, SessionSettings settings) {
		Graph graph = new Graph();
		try {
			graph.importGraphDef(frozen.graph());
			return new SavedModelRunner(directory, frozen.signatures(), new Session(graph, settings.toConfigProto()),
					graph, frozen.rewrites());
		}
		catch (TensorFlowException | IllegalArgumentException ex) {
			graph.close();
			throw ex;
		}
	}

	/** Whether this runner serves the frozen graph ({@link FrozenGraph}). */
	public boolean frozen() {
		return this.rewrites != null;
	}

	/**
	 * What the startup rewrites did to the graph (variables frozen, nodes pruned, encoder
	 * layers rewritten), or an empty string when it is served as loaded.
	 */
	public String rewrites() {
		return (this.rewrites != null) ? this.rewrites : "";
	}

	public Path directory() {
		return this.directory;
	}

	public Map<String, SignatureSpec> signatures() {
		return this.signatures;
	}

	Map<String, SignatureDef> signatureDefs() {
		return this.signatureDefs;
	}

	Session session() {
		return this.session;
	}

	/**
	 * Runs {@code signature} on {@code inputs} (by signature input name), fetching
	 * {@code outputs} (by signature output name).
	 * @throws IllegalArgumentException if a name is not part of the signature
	 * @throws ModelRuntimeException if TensorFlow fails
	 */
	public Map<String, HostTensor> run(String signature, Map<String, HostTensor> inputs, Collection<String> outputs) {
		Map<String, Tensor> fed = new LinkedHashMap<>();
		try {
			for (Map.Entry<String, HostTensor> input : inputs.entrySet()) {
				fed.put(input.getKey(), TensorConversions.toTensor(input.getValue()));
			}
			return runTensors(signature, fed, outputs);
		}
		finally {
			fed.values().forEach(Tensor::close);
		}
	}

	/**
	 * Runs {@code signature} on native tensors the caller owns (and closes, or reuses
	 * once this returns): the runners' path, fed from a {@link TensorPool}.
	 * @throws IllegalArgumentException if a name is not part of the signature
	 * @throws ModelRuntimeException if TensorFlow fails
	 */
	public Map<String, HostTensor> runTensors(String signature, Map<String, ? extends Tensor> inputs,
			Collection<String> outputs) {
		try {
			Session.Runner runner = fed(signature, inputs);
			SignatureDef definition = this.signatureDefs.get(signature);
			List<String> fetched = List.copyOf(outputs);
			for (String output : fetched) {
				TensorInfo info = definition.getOutputsMap().get(output);
				if (info == null) {
					throw new IllegalArgumentException("Signature '" + signature + "' has no output '" + output + "'");
				}
				runner.fetch(info.getName());
			}
			try (Result result = runner.run()) {
				Map<String, HostTensor> values = new LinkedHashMap<>();
				for (int i = 0; i < fetched.size(); i++) {
					values.put(fetched.get(i), TensorConversions.fromTensor(result.get(i), fetched.get(i)));
				}
				return values;
			}
		}
		catch (TensorFlowException ex) {
			throw new ModelRuntimeException("TensorFlow failed running " + this.directory + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * A run of this session with {@code inputs} fed by {@code signature}'s input names,
	 * for the caller to add what it fetches.
	 * @throws IllegalArgumentException if a name is not part of the signature
	 */
	Session.Runner fed(String signature, Map<String, ? extends Tensor> inputs) {
		SignatureDef definition = this.signatureDefs.get(signature);
		if (definition == null) {
			throw new IllegalArgumentException("Unknown signature '" + signature + "'");
		}
		Session.Runner runner = this.session.runner();
		for (Map.Entry<String, ? extends Tensor> input : inputs.entrySet()) {
			TensorInfo info = definition.getInputsMap().get(input.getKey());
			if (info == null) {
				throw new IllegalArgumentException(
						"Signature '" + signature + "' has no input '" + input.getKey() + "'");
			}
			runner.feed(info.getName(), input.getValue());
		}
		return runner;
	}

	/**
	 * Runs {@code signature} once with TensorFlow's full step trace and returns where the
	 * run spent its time, by op type (slower than {@link #run}: for the startup step and
	 * diagnostics, never for requests).
	 */
	public OpProfile profile(String signature, Map<String, HostTensor> inputs, Collection<String> outputs) {
		SignatureDef definition = this.signatureDefs.get(signature);
		if (definition == null) {
			throw new IllegalArgumentException("Unknown signature '" + signature + "'");
		}
		Map<String, Tensor> fed = new LinkedHashMap<>();
		try {
			Session.Runner runner = this.session.runner()
				.setOptions(RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build());
			for (Map.Entry<String, HostTensor> input : inputs.entrySet()) {
				Tensor tensor = TensorConversions.toTensor(input.getValue());
				fed.put(input.getKey(), tensor);
				runner.feed(definition.getInputsMap().get(input.getKey()).getName(), tensor);
			}
			for (String output : outputs) {
				runner.fetch(definition.getOutputsMap().get(output).getName());
			}
			try (Result result = runner.runAndFetchMetadata()) {
				return OpProfile.of(result.getMetadata()
					.orElseThrow(() -> new ModelRuntimeException("TensorFlow returned no step trace")));
			}
		}
		catch (TensorFlowException ex) {
			throw new ModelRuntimeException("TensorFlow failed running " + this.directory + ": " + ex.getMessage(), ex);
		}
		finally {
			fed.values().forEach(Tensor::close);
		}
	}

	@Override
	public void close() {
		if (frozen()) {
			this.session.close();
		}
		try {
			this.owner.close();
		}
		catch (Exception ex) {
			throw new ModelRuntimeException("TensorFlow could not close " + this.directory + ": " + ex.getMessage(),
					ex);
		}
	}

}
