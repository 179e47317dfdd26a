package io.eino.serving.grpc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferParameter;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ModelReadyResponse;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerLiveResponse;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerMetadataResponse;
import inference.GrpcPredictV2.ServerReadyRequest;
import inference.GrpcPredictV2.ServerReadyResponse;
import io.eino.serving.client.Client;
import io.eino.serving.error.Rule;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.OpenInferenceMetadata;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.inference.TextTensors;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.server.Drain;
import io.eino.serving.validation.InvalidInputException;
import io.grpc.stub.StreamObserver;
import reactor.core.publisher.Mono;

/**
 * The Open Inference Protocol's {@code GRPCInferenceService} (docs/protocols.md, "gRPC"):
 * liveness, readiness, metadata and ModelInfer with typed or raw contents, through the
 * same service layer as the REST API. A ModelInfer with one BYTES input to a model with a
 * text pipeline is a text request; any other runs the signature named by the request
 * parameter {@code signature_name} (default {@code serving_default}). Outputs are typed
 * contents, or raw contents when the request sent raw contents or an output is FP16/BF16
 * (which has no typed field).
 */
final class InferenceServiceEndpoint extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

	static final String PLATFORM = "tensorflow_savedmodel";

	private final InferenceService inference;

	private final ModelRegistry registry;

	private final Drain drain;

	private final CallContext calls;

	private final GrpcCalls grpc;

	private final String serverVersion;

	InferenceServiceEndpoint(InferenceService inference, ModelRegistry registry, Drain drain, CallContext calls,
			GrpcCalls grpc, String serverVersion) {
		this.inference = inference;
		this.registry = registry;
		this.drain = drain;
		this.calls = calls;
		this.grpc = grpc;
		this.serverVersion = serverVersion;
	}

	@Override
	public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
		this.grpc.unary("ServerLive", observer, () -> Mono.just(ServerLiveResponse.newBuilder().setLive(true).build()));
	}

	@Override
	public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
		this.grpc.unary("ServerReady", observer,
				() -> Mono.just(ServerReadyResponse.newBuilder()
					.setReady(this.drain.acceptsTraffic() && this.registry.allReady())
					.build()));
	}

	@Override
	public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> observer) {
		this.grpc.unary("ModelReady", observer, () -> {
			Long version = version(request.getName(), request.getVersion());
			this.registry.status(request.getName());
			boolean ready = this.registry.isReady(request.getName())
					&& (version == null || this.registry.serving(request.getName(), null).version() == version);
			return Mono.just(ModelReadyResponse.newBuilder().setReady(ready).build());
		});
	}

	@Override
	public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> observer) {
		this.grpc.unary("ServerMetadata", observer, () -> Mono
			.just(ServerMetadataResponse.newBuilder().setName("eino-serving").setVersion(this.serverVersion).build()));
	}

	@Override
	public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
		this.grpc.unary("ModelMetadata", observer, () -> {
			ServingVersion serving = this.registry.serving(request.getName(),
					version(request.getName(), request.getVersion()));
			OpenInferenceMetadata described = OpenInferenceMetadata.of(serving);
			ModelMetadataResponse.Builder response = ModelMetadataResponse.newBuilder()
				.setName(request.getName())
				.addVersions(Long.toString(serving.version()))
				.setPlatform(PLATFORM);
			described.inputs().forEach((input) -> response.addInputs(metadata(input)));
			described.outputs().forEach((output) -> response.addOutputs(metadata(output)));
			return Mono.just(response.build());
		});
	}

	@Override
	public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
		this.grpc.unary("ModelInfer", observer, () -> {
			String model = request.getModelName();
			Long version = version(model, request.getModelVersion());
			if (request.getInputsCount() == 0) {
				throw new InvalidInputException(Rule.REQUEST_SHAPE, "A ModelInfer request needs inputs");
			}
			boolean raw = request.getRawInputContentsCount() > 0;
			if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
				throw new InvalidInputException(Rule.REQUEST_SHAPE, "raw_input_contents holds "
						+ request.getRawInputContentsCount() + " entries for " + request.getInputsCount() + " inputs");
			}
			Map<String, HostTensor> inputs = new LinkedHashMap<>();
			for (int i = 0; i < request.getInputsCount(); i++) {
				ModelInferRequest.InferInputTensor input = request.getInputs(i);
				inputs.put(input.getName(), raw ? InferContents.fromRaw(input, request.getRawInputContents(i))
						: InferContents.fromContents(input));
			}
			List<String> wanted = request.getOutputsList()
				.stream()
				.map(ModelInferRequest.InferRequestedOutputTensor::getName)
				.toList();
			Client client = this.calls.client();
			RequestOptions options = this.calls.options(client);
			return this.inference.resolved(model, version, (resolved) -> {
				if (resolved.takesText() && inputs.size() == 1
						&& inputs.values().iterator().next() instanceof HostTensor.Bytes strings) {
					List<String> texts = TensorMessages.texts(inputs.keySet().iterator().next(), strings);
					this.inference.checkDoor(resolved, options.client());
					return this.inference.predictText(resolved, texts, options)
						.map((result) -> response(request, result.version(),
								TextTensors.of(result.predictions(), wanted), raw));
				}
				SignatureSpec signature = resolved.signature(signatureName(request.getParametersMap()));
				request.getInputsList()
					.forEach((input) -> this.inference.checkDeclaredInput(resolved, signature, input.getName(),
							input.getDatatype()));
				return this.inference.predictTensors(resolved, signature, inputs, wanted, options)
					.map((result) -> response(request, result.version(), result.outputs(), raw));
			});
		});
	}

	private static ModelInferResponse response(ModelInferRequest request, long version, Map<String, HostTensor> outputs,
			boolean rawRequest) {
		boolean raw = rawRequest || outputs.values().stream().anyMatch((tensor) -> tensor instanceof HostTensor.Half);
		ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
			.setModelName(request.getModelName())
			.setModelVersion(Long.toString(version))
			.setId(request.getId());
		outputs.forEach((name, tensor) -> {
			ModelInferResponse.InferOutputTensor.Builder output = ModelInferResponse.InferOutputTensor.newBuilder()
				.setName(name)
				.setDatatype(tensor.datatype().name());
			for (long size : tensor.shape()) {
				output.addShape(size);
			}
			if (raw) {
				response.addRawOutputContents(RawContents.write(tensor));
			}
			else {
				InferTensorContents contents = InferContents.toContents(tensor);
				output.setContents(contents);
			}
			response.addOutputs(output);
		});
		return response.build();
	}

	private static String signatureName(Map<String, InferParameter> parameters) {
		InferParameter name = parameters.get("signature_name");
		if (name == null) {
			return SignatureSpec.DEFAULT_KEY;
		}
		if (name.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.STRING_PARAM) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "Parameter 'signature_name' must be a string");
		}
		return name.getStringParam();
	}

	private static Long version(String model, String version) {
		if (model.isEmpty()) {
			throw new InvalidInputException(Rule.REQUEST_SHAPE, "The model name is required");
		}
		if (version.isEmpty()) {
			return null;
		}
		try {
			return Long.parseLong(version);
		}
		catch (NumberFormatException ex) {
			throw new InvalidInputException(Rule.INVALID_VERSION, "'" + version
					+ "' is not a model version: versions are whole numbers, as the model's metadata lists them");
		}
	}

	private static ModelMetadataResponse.TensorMetadata metadata(OpenInferenceMetadata.Tensor tensor) {
		ModelMetadataResponse.TensorMetadata.Builder metadata = ModelMetadataResponse.TensorMetadata.newBuilder()
			.setName(tensor.name())
			.setDatatype(tensor.datatype());
		for (long size : tensor.shape()) {
			metadata.addShape(size);
		}
		return metadata.build();
	}

}
