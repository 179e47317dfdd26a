package io.eino.serving.importer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.eino.serving.runtime.SavedModelRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Translates a BERT-family ONNX encoder export into a TensorFlow SavedModel that
 * eino-serving serves.
 *
 * <p>
 * The SavedModel's {@value #SIGNATURE} signature takes {@code input_ids},
 * {@code attention_mask} and {@code token_type_ids} (int64, {@code [batch, sequence]})
 * and returns {@code last_hidden_state} (the encoder's own output),
 * {@code sentence_embedding} (masked mean pooling + L2 normalisation) and, when a
 * {@link ClassifierHead} is given, {@code logits} and {@code probabilities}. Weights
 * become variables stored in the SavedModel's checkpoint.
 *
 * <p>
 * Supported operators: {@link OperatorTranslators#standard()}; anything else is refused
 * with an {@link OnnxImportException} naming the operator and the node.
 */
public final class OnnxImporter {

	public static final String SIGNATURE = "serving_default";

	/** The SignatureDef method name of TF Serving's Predict API. */
	public static final String PREDICT_METHOD = "tensorflow/serving/predict";

	private static final Logger logger = LoggerFactory.getLogger(OnnxImporter.class);

	private static final Set<String> DEFAULT_DOMAINS = Set.of("", "ai.onnx");

	public ImportReport importModel(Path onnxFile, Path exportDirectory, ClassifierHead head) throws IOException {
		long started = System.nanoTime();
		logger.info("Importing ONNX model {} ({} MiB)", onnxFile, Files.size(onnxFile) >> 20);
		ModelProto model = ModelProto.parseFrom(Files.readAllBytes(onnxFile));
		long opset = defaultOpset(model);
		checkOperators(model.getGraph());
		Map<String, Integer> fusedCounts = new TreeMap<>();
		GraphProto onnxGraph = AttentionScale.fold(OnnxFusions.fuse(model.getGraph(), fusedCounts), fusedCounts);
		try (Graph graph = new Graph()) {
			Ops tf = Ops.create(graph);
			TranslationContext context = new TranslationContext(tf.withSubScope("encoder"));
			Map<String, Operand<TInt64>> inputs = defineInputs(tf, onnxGraph, context);
			long parameters = defineInitializers(onnxGraph, context, tf.withSubScope("weights"));
			Map<String, Integer> operatorCounts = translateNodes(onnxGraph, opset, context);
			Operand<TFloat32> hiddenStates = tf.withName("last_hidden_state")
				.identity(OperatorTranslators.typed(context.graphOutput(hiddenStateOutput(onnxGraph))));

			Signature.Builder signature = Signature.builder().key(SIGNATURE).methodName(PREDICT_METHOD);
			inputs.forEach(signature::input);
			signature.output("last_hidden_state", hiddenStates);
			Operand<TFloat32> embedding = tf.withName("sentence_embedding")
				.identity(EncoderOutputs.sentenceEmbedding(tf.withSubScope("pooling"), hiddenStates,
						inputs.get("attention_mask")));
			signature.output("sentence_embedding", embedding);
			if (head != null) {
				checkHead(head, embedding);
				Operand<TFloat32> logits = tf.withName("logits").identity(EncoderOutputs.logits(tf, embedding, head));
				signature.output("logits", logits);
				signature.output("probabilities", tf.withName("probabilities").nn.softmax(logits));
			}
			Signature built = signature.build();
			export(graph, built, exportDirectory);
			ImportReport report = new ImportReport(exportDirectory, opset, operatorCounts, fusedCounts, parameters,
					context.packedProducts(), List.copyOf(built.outputNames()),
					Duration.ofNanos(System.nanoTime() - started));
			logger.info(
					"Imported {} ONNX nodes of {} operator types, {} parameters ({} weight products on packed "
							+ "tokens), into {} in {} ms",
					report.nodeCount(), operatorCounts.size(), parameters, report.packedProducts(), exportDirectory,
					report.elapsed().toMillis());
			return report;
		}
	}

	private static long defaultOpset(ModelProto model) {
		return model.getOpsetImportList()
			.stream()
			.filter((opset) -> DEFAULT_DOMAINS.contains(opset.getDomain()))
			.mapToLong(OperatorSetIdProto::getVersion)
			.findFirst()
			.orElseThrow(() -> new OnnxImportException("The ONNX model imports no default-domain opset"));
	}

	private static void checkOperators(GraphProto graph) {
		Map<String, String> unsupported = new TreeMap<>();
		for (NodeProto node : graph.getNodeList()) {
			boolean known = OperatorTranslators.standard().containsKey(node.getOpType())
					&& DEFAULT_DOMAINS.contains(node.getDomain());
			if (!known) {
				unsupported.putIfAbsent(node.getOpType(), node.getName());
			}
		}
		if (!unsupported.isEmpty()) {
			String list = unsupported.entrySet()
				.stream()
				.map((e) -> e.getKey() + " (first at node '" + e.getValue() + "')")
				.collect(Collectors.joining(", "));
			throw new OnnxImportException("Unsupported ONNX operator(s): " + list + ". Supported: "
					+ String.join(", ", OperatorTranslators.standard().keySet()));
		}
	}

	private static Map<String, Operand<TInt64>> defineInputs(Ops tf, GraphProto graph, TranslationContext context) {
		Set<String> initializers = graph.getInitializerList()
			.stream()
			.map(TensorProto::getName)
			.collect(Collectors.toSet());
		Map<String, Operand<TInt64>> inputs = new LinkedHashMap<>();
		for (String name : SavedModelRunner.TOKEN_INPUTS) {
			inputs.put(name, EncoderOutputs.tokenInput(tf, name));
		}
		for (ValueInfoProto input : graph.getInputList()) {
			if (initializers.contains(input.getName())) {
				continue;
			}
			Operand<TInt64> placeholder = inputs.get(input.getName());
			if (placeholder == null) {
				throw new OnnxImportException("ONNX input '" + input.getName()
						+ "' is not one of the token inputs of a BERT-family encoder " + SavedModelRunner.TOKEN_INPUTS);
			}
			DataType type = DataType.forNumber(input.getType().getTensorType().getElemType());
			context.define(input.getName(), (type == DataType.INT64) ? placeholder
					: context.tf().dtypes.cast(placeholder, OnnxTypes.tensorFlowType(type, input.getName())));
		}
		if (graph.getInputList().stream().anyMatch((input) -> input.getName().equals("attention_mask"))) {
			Map<String, Operand<TInt64>> others = new LinkedHashMap<>(inputs);
			context.packTokens(others.remove("attention_mask"), others);
		}
		if (!graph.getInputList().stream().anyMatch((input) -> input.getName().equals("input_ids"))) {
			throw new OnnxImportException("The ONNX model has no 'input_ids' input");
		}
		return inputs;
	}

	/**
	 * Every initializer becomes a constant of the graph: frozen weights, which Grappler
	 * folds (a bf16 cast of a weight is computed once, not per run) and oneDNN reorders
	 * once and caches.
	 */
	private static long defineInitializers(GraphProto graph, TranslationContext context, Ops weights) {
		long parameters = 0;
		for (TensorProto initializer : graph.getInitializerList()) {
			OnnxTensor value = OnnxTensor.of(initializer);
			context.defineConstant(value, weights);
			if (value.isFloatingPoint()) {
				parameters += OnnxTensor.elementCount(value.dims());
			}
		}
		return parameters;
	}

	private static Map<String, Integer> translateNodes(GraphProto graph, long opset, TranslationContext context) {
		Map<String, Integer> counts = new TreeMap<>();
		for (NodeProto proto : graph.getNodeList()) {
			OnnxNode node = new OnnxNode(proto, (int) opset);
			OperatorTranslator translator = OperatorTranslators.standard().get(node.opType());
			Operand<?> output;
			try {
				output = translator.translate(context, node);
			}
			catch (OnnxImportException ex) {
				throw ex;
			}
			catch (RuntimeException ex) {
				throw new OnnxImportException(node.describe() + " could not be translated: " + ex.getMessage(), ex);
			}
			if (!context.defines(node.output())) {
				context.define(node.output(), output);
			}
			counts.merge(node.opType(), 1, Integer::sum);
		}
		return counts;
	}

	private static String hiddenStateOutput(GraphProto graph) {
		return graph.getOutputList()
			.stream()
			.map(ValueInfoProto::getName)
			.filter("last_hidden_state"::equals)
			.findFirst()
			.or(() -> graph.getOutputList().stream().map(ValueInfoProto::getName).findFirst())
			.orElseThrow(() -> new OnnxImportException("The ONNX model declares no output"));
	}

	private static void checkHead(ClassifierHead head, Operand<TFloat32> embedding) {
		long size = embedding.shape().size(1);
		if (size != head.embeddingSize()) {
			throw new OnnxImportException("The classifier head expects embeddings of " + head.embeddingSize()
					+ " values but the encoder produces " + size);
		}
	}

	private static void export(Graph graph, Signature signature, Path exportDirectory) throws IOException {
		Files.createDirectories(exportDirectory);
		try (Session session = new Session(graph)) {
			SavedModelBundle.exporter(exportDirectory.toString()).withFunction(session.function(signature)).export();
		}
	}

}
