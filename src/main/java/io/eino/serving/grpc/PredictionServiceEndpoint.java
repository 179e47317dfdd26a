package io.eino.serving.grpc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import io.eino.serving.client.Client;
import io.eino.serving.error.Rule;
import io.eino.serving.inference.ExampleInference;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.inference.TextTensors;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.validation.InvalidInputException;
import io.grpc.stub.StreamObserver;
import org.tensorflow.example.Example;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.SignatureDef;
import org.tensorflow.framework.TensorInfo;
import reactor.core.publisher.Mono;
import tensorflow.serving.Classification.Class;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.Classification.ClassificationResult;
import tensorflow.serving.Classification.Classifications;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.Regression;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;
import tensorflow.serving.RegressionOuterClass.RegressionResult;

/**
 * TF Serving's {@code PredictionService} over gRPC (docs/protocols.md, "gRPC"): Predict,
 * Classify, Regress and GetModelMetadata, through the same service layer as the REST API.
 * A Predict call with one string input to a model with a text pipeline is a text request
 * (validated, rate limited, batched) and answers its predictions as tensors; any other
 * runs the named signature on its tensors.
 */
final class PredictionServiceEndpoint extends PredictionServiceGrpc.PredictionServiceImplBase {

	private final InferenceService inference;

	private final ExampleInference examples;

	private final ModelRegistry registry;

	private final CallContext calls;

	private final GrpcCalls grpc;

	PredictionServiceEndpoint(InferenceService inference, ExampleInference examples, ModelRegistry registry,
			CallContext calls, GrpcCalls grpc) {
		this.inference = inference;
		this.examples = examples;
		this.registry = registry;
		this.calls = calls;
		this.grpc = grpc;
	}

	@Override
	public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
		this.grpc.unary("Predict", observer, () -> {
			ModelSpec spec = request.getModelSpec();
			String model = spec.getName();
			Long version = version(spec);
			String signature = signatureName(spec);
			Client client = this.calls.client();
			RequestOptions options = this.calls.options(client);
			Map<String, HostTensor> inputs = new LinkedHashMap<>();
			request.getInputsMap().forEach((name, tensor) -> inputs.put(name, TensorMessages.fromProto(name, tensor)));
			List<String> wanted = request.getOutputFilterList();
			return this.inference.resolved(model, version, (resolved) -> {
				if (resolved.takesText() && inputs.size() == 1
						&& inputs.values().iterator().next() instanceof HostTensor.Bytes strings) {
					String textSignature = resolved.textSignature(spec.getSignatureName().isEmpty() ? null : signature);
					List<String> texts = TensorMessages.texts(inputs.keySet().iterator().next(), strings);
					this.inference.checkDoor(resolved, options.client());
					return this.inference.predictText(resolved, texts, options)
						.map((result) -> response(model, result.version(), textSignature,
								TextTensors.of(result.predictions(), wanted)));
				}
				return this.inference.predictTensors(resolved, resolved.signature(signature), inputs, wanted, options)
					.map((result) -> response(model, result.version(), signature, result.outputs()));
			});
		});
	}

	@Override
	public void classify(ClassificationRequest request, StreamObserver<ClassificationResponse> observer) {
		this.grpc.unary("Classify", observer, () -> {
			ModelSpec spec = request.getModelSpec();
			Client client = this.calls.client();
			RequestOptions options = this.calls.options(client);
			List<Example> examples = examples(request.getInput());
			return this.inference.resolved(spec.getName(), version(spec), (resolved) -> {
				this.inference.checkDoor(resolved, options.client());
				return this.examples.classify(resolved, signatureOrNull(spec), examples, options);
			}).map((result) -> {
				ClassificationResult.Builder built = ClassificationResult.newBuilder();
				for (List<ExampleInference.LabelScore> classes : result.classes()) {
					Classifications.Builder each = Classifications.newBuilder();
					classes.forEach((labelScore) -> each
						.addClasses(Class.newBuilder().setLabel(labelScore.label()).setScore(labelScore.score())));
					built.addClassifications(each);
				}
				return ClassificationResponse.newBuilder()
					.setModelSpec(modelSpec(spec.getName(), result.version(), result.signature()))
					.setResult(built)
					.build();
			});
		});
	}

	@Override
	public void regress(RegressionRequest request, StreamObserver<RegressionResponse> observer) {
		this.grpc.unary("Regress", observer, () -> {
			ModelSpec spec = request.getModelSpec();
			RequestOptions options = this.calls.options(this.calls.client());
			List<Example> examples = examples(request.getInput());
			return this.inference
				.resolved(spec.getName(), version(spec),
						(resolved) -> this.examples.regress(resolved, signatureOrNull(spec), examples, options))
				.map((result) -> {
					RegressionResult.Builder built = RegressionResult.newBuilder();
					for (float value : result.values()) {
						built.addRegressions(Regression.newBuilder().setValue(value));
					}
					return RegressionResponse.newBuilder()
						.setModelSpec(modelSpec(spec.getName(), result.version(), result.signature()))
						.setResult(built)
						.build();
				});
		});
	}

	@Override
	public void getModelMetadata(GetModelMetadataRequest request, StreamObserver<GetModelMetadataResponse> observer) {
		this.grpc.unary("GetModelMetadata", observer, () -> {
			for (String field : request.getMetadataFieldList()) {
				if (!field.equals("signature_def")) {
					throw new InvalidInputException(Rule.REQUEST_SHAPE,
							"Metadata field '" + field + "' is not served; ask for 'signature_def'");
				}
			}
			ModelSpec spec = request.getModelSpec();
			ServingVersion serving = this.registry.serving(spec.getName(), version(spec));
			SignatureDefMap.Builder signatures = SignatureDefMap.newBuilder();
			for (SignatureSpec signature : serving.signatures()) {
				SignatureDef.Builder definition = SignatureDef.newBuilder().setMethodName(signature.methodName());
				signature.inputs().forEach((input) -> definition.putInputs(input.name(), tensorInfo(input)));
				signature.outputs().forEach((output) -> definition.putOutputs(output.name(), tensorInfo(output)));
				signatures.putSignatureDef(signature.key(), definition.build());
			}
			return Mono.just(GetModelMetadataResponse.newBuilder()
				.setModelSpec(modelSpec(spec.getName(), serving.version(), ""))
				.putMetadata("signature_def", Any.pack(signatures.build()))
				.build());
		});
	}

	private static TensorInfo tensorInfo(TensorSpec spec) {
		DataType type;
		try {
			type = DataType.valueOf(spec.tensorFlowType());
		}
		catch (IllegalArgumentException ex) {
			type = DataType.DT_INVALID;
		}
		return TensorInfo.newBuilder()
			.setName(spec.tensorName())
			.setDtype(type)
			.setTensorShape(TensorMessages.shape(spec.shape()))
			.build();
	}

	private static PredictResponse response(String model, long version, String signature,
			Map<String, HostTensor> outputs) {
		PredictResponse.Builder response = PredictResponse.newBuilder()
			.setModelSpec(modelSpec(model, version, signature));
		outputs.forEach((name, tensor) -> response.putOutputs(name, TensorMessages.toProto(tensor)));
		return response.build();
	}

	static ModelSpec modelSpec(String model, long version, String signature) {
		return ModelSpec.newBuilder()
			.setName(model)
			.setVersion(Int64Value.of(version))
			.setSignatureName(signature)
			.build();
	}

	/** The version a spec names, or null for the serving one. */
	static Long version(ModelSpec spec) {
		if (spec.getName().isEmpty()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "model_spec.name is required");
		}
		if (spec.hasVersionLabel()) {
			throw new ModelNotFoundException("Model '" + spec.getName() + "' has no version label '"
					+ spec.getVersionLabel() + "': labels are not served, name a version number");
		}
		return spec.hasVersion() ? spec.getVersion().getValue() : null;
	}

	private static String signatureName(ModelSpec spec) {
		return spec.getSignatureName().isEmpty() ? SignatureSpec.DEFAULT_KEY : spec.getSignatureName();
	}

	private static String signatureOrNull(ModelSpec spec) {
		return spec.getSignatureName().isEmpty() ? null : spec.getSignatureName();
	}

	private static List<Example> examples(Input input) {
		return switch (input.getKindCase()) {
			case EXAMPLE_LIST -> input.getExampleList().getExamplesList();
			case EXAMPLE_LIST_WITH_CONTEXT ->
				ExampleInference.withContext(input.getExampleListWithContext().getExamplesList(),
						input.getExampleListWithContext().getContext());
			default -> throw new InvalidInputException(Rule.EMPTY_INSTANCES, "The request holds no examples");
		};
	}

}
