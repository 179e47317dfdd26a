package io.eino.serving.grpc;

import java.util.List;

import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.VersionStatus;
import io.grpc.stub.StreamObserver;
import org.tensorflow.framework.error.Code;
import reactor.core.publisher.Mono;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Status.StatusProto;

/**
 * TF Serving's {@code ModelService.GetModelStatus} over gRPC: every version the registry
 * knows of the model (or the one named), with its state and, for a failed build, why.
 */
final class ModelServiceEndpoint extends ModelServiceGrpc.ModelServiceImplBase {

	private final ModelRegistry registry;

	private final GrpcCalls grpc;

	ModelServiceEndpoint(ModelRegistry registry, GrpcCalls grpc) {
		this.registry = registry;
		this.grpc = grpc;
	}

	@Override
	public void getModelStatus(GetModelStatusRequest request, StreamObserver<GetModelStatusResponse> observer) {
		this.grpc.unary("GetModelStatus", observer, () -> {
			String model = request.getModelSpec().getName();
			Long version = PredictionServiceEndpoint.version(request.getModelSpec());
			List<VersionStatus> statuses = this.registry.status(model)
				.stream()
				.filter((status) -> version == null || status.version() == version)
				.toList();
			if (statuses.isEmpty()) {
				throw new ModelNotFoundException("Version " + version + " of model '" + model + "' is not known");
			}
			GetModelStatusResponse.Builder response = GetModelStatusResponse.newBuilder();
			for (VersionStatus status : statuses) {
				boolean failed = !status.error().isEmpty();
				response.addModelVersionStatus(
						ModelVersionStatus.newBuilder().setVersion(status.version()).setState(switch (status.state()) {
							case LOADING -> ModelVersionStatus.State.LOADING;
							case AVAILABLE -> ModelVersionStatus.State.AVAILABLE;
							case UNLOADING -> ModelVersionStatus.State.UNLOADING;
							case END -> ModelVersionStatus.State.END;
						})
							.setStatus(StatusProto.newBuilder()
								.setErrorCode(failed ? Code.UNKNOWN : Code.OK)
								.setErrorMessage(status.error())));
			}
			return Mono.just(response.build());
		});
	}

}
