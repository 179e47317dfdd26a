package io.eino.serving.grpc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import com.google.rpc.ErrorInfo;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferParameter;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerReadyRequest;
import io.eino.serving.api.DefaultServingContext;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tensorflow.example.Example;
import org.tensorflow.example.Feature;
import org.tensorflow.example.Features;
import org.tensorflow.example.FloatList;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.TensorProto;
import org.tensorflow.framework.TensorShapeProto;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.InputOuterClass.ExampleList;
import tensorflow.serving.InputOuterClass.ExampleListWithContext;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The gRPC API through a grpc-java client over loopback, against the real models of
 * {@link DefaultServingContext}: every method of TF Serving's PredictionService and
 * ModelService and of the Open Inference Protocol's GRPCInferenceService, the health and
 * reflection services, error statuses with their details, and a cancelled call.
 */
class GrpcIntegrationTest extends DefaultServingContext {

	private static ManagedChannel channel;

	@Value("${local.grpc.port}")
	private int port;

	@Autowired
	private MeterRegistry meters;

	private PredictionServiceGrpc.PredictionServiceBlockingStub tfServing;

	private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip;

	@BeforeEach
	void connect() {
		if (channel == null) {
			channel = ManagedChannelBuilder.forAddress("localhost", this.port).usePlaintext().build();
		}
		this.tfServing = PredictionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
		this.oip = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
	}

	@AfterAll
	static void disconnect() {
		if (channel != null) {
			channel.shutdownNow();
			channel = null;
		}
	}

	@Test
	void predictsTextThroughTfServingPredict() {
		PredictResponse response = this.tfServing.predict(PredictRequest.newBuilder()
			.setModelSpec(ModelSpec.newBuilder().setName("sentiment"))
			.putInputs("text", strings("What a wonderful film", "I hated every minute of it."))
			.build());
		assertThat(response.getModelSpec().getName()).isEqualTo("sentiment");
		assertThat(response.getModelSpec().getVersion().getValue()).isEqualTo(Long.parseLong(V));
		assertThat(response.getOutputsMap().get("label").getStringValList())
			.extracting((label) -> label.toString(StandardCharsets.UTF_8))
			.containsExactly("positive", "negative");
		TensorProto probabilities = response.getOutputsMap().get("probabilities");
		assertThat(probabilities.getTensorShape().getDimList()).extracting(TensorShapeProto.Dim::getSize)
			.containsExactly(2L, 2L);
		assertThat(probabilities.getFloatVal(0) + probabilities.getFloatVal(1)).isCloseTo(1f, within(1e-5f));
		// Spring gRPC's observation of every call (docs/operations.md, "Metrics").
		assertThat(this.meters.find("grpc.server").tag("rpc.method", "Predict").timers()).isNotEmpty();
	}

	@Test
	void predictsAnImageModelFromTensorContent() {
		// 2 images of 4×4×3 float32 as tensor_content (little-endian), as
		// tf.make_tensor_proto sends them.
		java.nio.ByteBuffer content = java.nio.ByteBuffer.allocate(96 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
		for (int i = 0; i < 96; i++) {
			content.putFloat((i < 48) ? 0.25f : 0.75f);
		}
		PredictResponse response = this.tfServing.predict(PredictRequest.newBuilder()
			.setModelSpec(ModelSpec.newBuilder().setName("pixels").setVersion(Int64Value.of(1)))
			.putInputs("image",
					TensorProto.newBuilder()
						.setDtype(DataType.DT_FLOAT)
						.setTensorShape(shape(2, 4, 4, 3))
						.setTensorContent(ByteString.copyFrom(content.array()))
						.build())
			.addOutputFilter("brightness")
			.build());
		assertThat(response.getOutputsMap()).containsOnlyKeys("brightness");
		assertThat(response.getOutputsMap().get("brightness").getFloatValList()).containsExactly(0.25f, 0.75f);
	}

	@Test
	void predictsEveryDatatypeThroughTfServingPredict() {
		PredictResponse response = this.tfServing.predict(PredictRequest.newBuilder()
			.setModelSpec(ModelSpec.newBuilder().setName("mixed").setSignatureName("types"))
			.putInputs("flag",
					TensorProto.newBuilder()
						.setDtype(DataType.DT_BOOL)
						.setTensorShape(shape(2))
						.addBoolVal(true)
						.addBoolVal(false)
						.build())
			.putInputs("small",
					TensorProto.newBuilder()
						.setDtype(DataType.DT_INT32)
						.setTensorShape(shape(2))
						.addIntVal(-5)
						.addIntVal(7)
						.build())
			.putInputs("weight",
					TensorProto.newBuilder()
						.setDtype(DataType.DT_DOUBLE)
						.setTensorShape(shape(2))
						.addDoubleVal(1e300)
						.addDoubleVal(-3)
						.build())
			// FP16 bits of 1.5 and -0.25.
			.putInputs("half",
					TensorProto.newBuilder()
						.setDtype(DataType.DT_HALF)
						.setTensorShape(shape(2))
						.addHalfVal(0x3E00)
						.addHalfVal(0xB400)
						.build())
			.putInputs("u8",
					TensorProto.newBuilder()
						.setDtype(DataType.DT_UINT8)
						.setTensorShape(shape(2))
						.addIntVal(0)
						.addIntVal(255)
						.build())
			// One value for two elements: repeated, as TensorFlow reads it.
			.putInputs("u16",
					TensorProto.newBuilder()
						.setDtype(DataType.DT_UINT16)
						.setTensorShape(shape(2))
						.addIntVal(65535)
						.build())
			.build());
		Map<String, TensorProto> outputs = response.getOutputsMap();
		assertThat(outputs.get("flag_not").getBoolValList()).containsExactly(false, true);
		assertThat(outputs.get("small_plus_one").getIntValList()).containsExactly(-4, 8);
		assertThat(outputs.get("weight_halved").getDoubleValList()).containsExactly(5e299, -1.5);
		assertThat(outputs.get("half_doubled").getDtype()).isEqualTo(DataType.DT_HALF);
		// 3.0 and -0.5 in FP16.
		assertThat(outputs.get("half_doubled").getHalfValList()).containsExactly(0x4200, 0xB800);
		assertThat(outputs.get("u8_same").getIntValList()).containsExactly(0, 255);
		assertThat(outputs.get("u16_same").getIntValList()).containsExactly(65535, 65535);
	}

	@Test
	void classifiesAndRegressesExamples() {
		Example low = example(0.5f);
		ClassificationResponse classified = this.tfServing.classify(ClassificationRequest.newBuilder()
			.setModelSpec(ModelSpec.newBuilder().setName("mixed").setSignatureName("classify"))
			.setInput(Input.newBuilder().setExampleList(ExampleList.newBuilder().addExamples(low)))
			.build());
		assertThat(classified.getResult().getClassifications(0).getClassesList())
			.extracting((c) -> c.getLabel() + "=" + c.getScore())
			.containsExactly("low=0.5", "high=1.0");
		assertThat(classified.getModelSpec().getSignatureName()).isEqualTo("classify");
		assertThat(this.tfServing
			.regress(RegressionRequest.newBuilder()
				.setModelSpec(ModelSpec.newBuilder().setName("mixed").setSignatureName("regress"))
				.setInput(Input.newBuilder()
					.setExampleListWithContext(ExampleListWithContext.newBuilder()
						.addExamples(Example.getDefaultInstance())
						.addExamples(example(-1))
						.setContext(example(2))))
				.build())
			.getResult()
			.getRegressionsList()).extracting((r) -> r.getValue()).containsExactly(7f, -2f);
		ClassificationResponse sentiment = this.tfServing.classify(ClassificationRequest.newBuilder()
			.setModelSpec(ModelSpec.newBuilder().setName("sentiment"))
			.setInput(Input.newBuilder()
				.setExampleList(ExampleList.newBuilder().addExamples(textExample("What a wonderful film"))))
			.build());
		assertThat(sentiment.getResult().getClassifications(0).getClasses(1).getLabel()).isEqualTo("positive");
		assertThat(sentiment.getResult().getClassifications(0).getClasses(1).getScore()).isGreaterThan(0.9f);
	}

	@Test
	void describesModelsThroughMetadataAndStatus() throws Exception {
		SignatureDefMap signatures = this.tfServing
			.getModelMetadata(GetModelMetadataRequest.newBuilder()
				.setModelSpec(ModelSpec.newBuilder().setName("mixed"))
				.addMetadataField("signature_def")
				.build())
			.getMetadataOrThrow("signature_def")
			.unpack(SignatureDefMap.class);
		assertThat(signatures.getSignatureDefMap()).containsKeys("serving_default", "types", "classify", "regress");
		assertThat(signatures.getSignatureDefOrThrow("classify").getMethodName())
			.isEqualTo("tensorflow/serving/classify");
		assertThat(signatures.getSignatureDefOrThrow("serving_default").getInputsOrThrow("name").getDtype())
			.isEqualTo(DataType.DT_STRING);
		List<ModelVersionStatus> statuses = ModelServiceGrpc.newBlockingStub(channel)
			.getModelStatus(GetModelStatusRequest.newBuilder()
				.setModelSpec(ModelSpec.newBuilder().setName("sentiment"))
				.build())
			.getModelVersionStatusList();
		assertThat(statuses).extracting(ModelVersionStatus::getVersion, ModelVersionStatus::getState)
			.containsExactly(
					org.assertj.core.groups.Tuple.tuple(Long.parseLong(V), ModelVersionStatus.State.AVAILABLE));
	}

	@Test
	void openInferenceProtocolServerAndModelMethods() {
		assertThat(this.oip.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
		assertThat(this.oip.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
		assertThat(this.oip.modelReady(ModelReadyRequest.newBuilder().setName("pixels").build()).getReady()).isTrue();
		assertThat(this.oip.modelReady(ModelReadyRequest.newBuilder().setName("pixels").setVersion("2").build())
			.getReady()).isFalse();
		assertThat(this.oip.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName())
			.isEqualTo("eino-serving");
		ModelMetadataResponse metadata = this.oip
			.modelMetadata(ModelMetadataRequest.newBuilder().setName("pixels").build());
		assertThat(metadata.getPlatform()).isEqualTo("tensorflow_savedmodel");
		assertThat(metadata.getInputsList()).extracting(ModelMetadataResponse.TensorMetadata::getName,
				ModelMetadataResponse.TensorMetadata::getDatatype, ModelMetadataResponse.TensorMetadata::getShapeList)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("image", "FP32", List.of(-1L, 4L, 4L, 3L)));
	}

	@Test
	void modelInferWithTextTypedAndRawContents() {
		ModelInferResponse text = this.oip.modelInfer(ModelInferRequest.newBuilder()
			.setModelName("sentiment")
			.setId("req-7")
			.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
				.setName("text")
				.setDatatype("BYTES")
				.addShape(1)
				.setContents(InferTensorContents.newBuilder()
					.addBytesContents(ByteString.copyFromUtf8("Absolutely delightful!"))))
			.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("label"))
			.build());
		assertThat(text.getId()).isEqualTo("req-7");
		assertThat(text.getOutputsList()).hasSize(1);
		assertThat(text.getOutputs(0).getContents().getBytesContents(0).toStringUtf8()).isEqualTo("positive");

		// Typed contents in, typed contents out.
		ModelInferResponse typed = this.oip.modelInfer(ModelInferRequest.newBuilder()
			.setModelName("mixed")
			.addInputs(input("name", "BYTES", 1)
				.setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8("Ada"))))
			.addInputs(input("count", "INT64", 1).setContents(InferTensorContents.newBuilder().addInt64Contents(21)))
			.build());
		Map<String, ModelInferResponse.InferOutputTensor> outputs = new java.util.HashMap<>();
		typed.getOutputsList().forEach((output) -> outputs.put(output.getName(), output));
		assertThat(outputs.get("greeting").getContents().getBytesContents(0).toStringUtf8()).isEqualTo("hello Ada");
		assertThat(outputs.get("count_doubled").getContents().getInt64ContentsList()).containsExactly(42L);

		// Raw contents in (BYTES with 4-byte lengths, FP16), raw contents out.
		ModelInferResponse raw = this.oip.modelInfer(ModelInferRequest.newBuilder()
			.setModelName("mixed")
			.putParameters("signature_name", InferParameter.newBuilder().setStringParam("length").build())
			.addInputs(input("text", "BYTES", 2))
			.addRawInputContents(ByteString.copyFrom(new byte[] { 3, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0 }))
			.build());
		assertThat(raw.getOutputsCount()).isEqualTo(1);
		assertThat(raw.getOutputs(0).getDatatype()).isEqualTo("INT32");
		assertThat(raw.getRawOutputContents(0).toByteArray()).containsExactly(3, 0, 0, 0, 0, 0, 0, 0);
	}

	@Test
	void failuresBecomeStatusesWithTheirRule() {
		StatusRuntimeException unknown = call(() -> this.tfServing.predict(PredictRequest.newBuilder()
			.setModelSpec(ModelSpec.newBuilder().setName("nope"))
			.putInputs("text", strings("hello"))
			.build()));
		assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
		assertThat(rule(unknown)).isEqualTo("unknown-model");

		StatusRuntimeException control = call(() -> this.tfServing.predict(PredictRequest.newBuilder()
			.setModelSpec(ModelSpec.newBuilder().setName("sentiment"))
			.putInputs("text", strings("bell \u0007 here"))
			.build()));
		assertThat(control.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
		assertThat(rule(control)).isEqualTo("control-character");
		assertThat(control.getStatus().getDescription()).doesNotContain("Exception");

		StatusRuntimeException shape = call(() -> this.oip.modelInfer(ModelInferRequest.newBuilder()
			.setModelName("pixels")
			.addInputs(input("image", "FP32", 1).addShape(4)
				.addShape(4)
				.addShape(3)
				.setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
			.build()));
		assertThat(shape.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
		assertThat(rule(shape)).isEqualTo("input-shape");

		StatusRuntimeException version = call(() -> this.oip.modelInfer(ModelInferRequest.newBuilder()
			.setModelName("sentiment")
			.setModelVersion("abc")
			.addInputs(input("text", "BYTES", 1).setContents(InferTensorContents.newBuilder()
				.addBytesContents(com.google.protobuf.ByteString.copyFromUtf8("fine"))))
			.build()));
		assertThat(version.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
		assertThat(rule(version)).isEqualTo("invalid-version");

		StatusRuntimeException textAsNumbers = call(() -> this.oip.modelInfer(ModelInferRequest.newBuilder()
			.setModelName("sentiment")
			.addInputs(input("text", "FP32", 1).setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
			.build()));
		assertThat(rule(textAsNumbers)).isEqualTo("input-datatype");

		StatusRuntimeException label = call(() -> ModelServiceGrpc.newBlockingStub(channel)
			.getModelStatus(GetModelStatusRequest.newBuilder()
				.setModelSpec(ModelSpec.newBuilder().setName("sentiment").setVersionLabel("stable"))
				.build()));
		assertThat(label.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
	}

	@Test
	void aCancelledCallIsDroppedAndCountedAsCancelled() throws Exception {
		double before = cancelled();
		// 64 texts of about 200 tokens: still running when the call is cancelled 100 ms
		// in
		// (64 texts of 20 tokens came back within 100 ms once the padding was packed).
		List<String> texts = new ArrayList<>(Collections.nCopies(64, String.join(" ", Collections.nCopies(9,
				"A long and winding review that goes on about the plot, the actors and the music for a while."))));
		CompletableFuture<Throwable> outcome = new CompletableFuture<>();
		Context.CancellableContext context = Context.current().withCancellation();
		context.run(() -> PredictionServiceGrpc.newStub(channel)
			.predict(PredictRequest.newBuilder()
				.setModelSpec(ModelSpec.newBuilder().setName("sentiment"))
				.putInputs("text", strings(texts.toArray(String[]::new)))
				.build(), new StreamObserver<>() {
					@Override
					public void onNext(PredictResponse value) {
						outcome.complete(null);
					}

					@Override
					public void onError(Throwable error) {
						outcome.complete(error);
					}

					@Override
					public void onCompleted() {
					}
				}));
		Thread.sleep(100);
		context.cancel(null);
		assertThat(Status.fromThrowable(outcome.get(10, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.CANCELLED);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (cancelled() == before && System.nanoTime() < deadline) {
			Thread.sleep(20);
		}
		assertThat(cancelled()).isEqualTo(before + 1);
	}

	@Test
	void healthAndReflectionServices() throws InterruptedException {
		// The health service polls the readiness indicators every second.
		HealthCheckResponse.ServingStatus status = null;
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (status != HealthCheckResponse.ServingStatus.SERVING && System.nanoTime() < deadline) {
			status = HealthGrpc.newBlockingStub(channel)
				.check(HealthCheckRequest.newBuilder().setService("").build())
				.getStatus();
			Thread.sleep(100);
		}
		assertThat(status).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
		CompletableFuture<List<String>> services = new CompletableFuture<>();
		StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
			.serverReflectionInfo(new StreamObserver<>() {
				@Override
				public void onNext(ServerReflectionResponse response) {
					services.complete(response.getListServicesResponse()
						.getServiceList()
						.stream()
						.map((service) -> service.getName())
						.toList());
				}

				@Override
				public void onError(Throwable error) {
					services.completeExceptionally(error);
				}

				@Override
				public void onCompleted() {
				}
			});
		requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
		requests.onCompleted();
		assertThat(services.join()).contains("tensorflow.serving.PredictionService", "tensorflow.serving.ModelService",
				"inference.GRPCInferenceService", "grpc.health.v1.Health");
	}

	private double cancelled() {
		io.micrometer.core.instrument.Counter counter = this.meters.find("eino.requests")
			.tags("model", "sentiment", "outcome", "cancelled")
			.counter();
		return (counter != null) ? counter.count() : 0;
	}

	private static StatusRuntimeException call(Runnable call) {
		return org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class, call::run);
	}

	private static String rule(StatusRuntimeException failure) {
		com.google.rpc.Status status = StatusProto.fromThrowable(failure);
		assertThat(status).isNotNull();
		return status.getDetailsList().stream().filter((detail) -> detail.is(ErrorInfo.class)).map((detail) -> {
			try {
				return detail.unpack(ErrorInfo.class).getReason();
			}
			catch (com.google.protobuf.InvalidProtocolBufferException ex) {
				throw new IllegalStateException(ex);
			}
		}).findFirst().orElseThrow();
	}

	private static ModelInferRequest.InferInputTensor.Builder input(String name, String datatype, long firstDimension) {
		return ModelInferRequest.InferInputTensor.newBuilder()
			.setName(name)
			.setDatatype(datatype)
			.addShape(firstDimension);
	}

	private static TensorProto strings(String... texts) {
		return TextTensors.strings(texts);
	}

	private static TensorShapeProto shape(long... dims) {
		TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
		for (long size : dims) {
			shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(size));
		}
		return shape.build();
	}

	private static Example example(float x) {
		return Example.newBuilder()
			.setFeatures(Features.newBuilder()
				.putFeature("x", Feature.newBuilder().setFloatList(FloatList.newBuilder().addValue(x)).build()))
			.build();
	}

	private static Example textExample(String text) {
		return Example.newBuilder()
			.setFeatures(Features.newBuilder()
				.putFeature("text", Feature.newBuilder()
					.setBytesList(org.tensorflow.example.BytesList.newBuilder().addValue(ByteString.copyFromUtf8(text)))
					.build()))
			.build();
	}

}
