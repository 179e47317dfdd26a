package io.eino.serving.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1alpha.ServerReflectionGrpc;
import io.grpc.reflection.v1alpha.ServerReflectionRequest;
import io.grpc.reflection.v1alpha.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Value;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What stock clients send and expect where it differs from the letter of the protocols:
 * Triton's HTTP client posts JSON without a content type and TF Serving's documented
 * {@code curl -d} sends the form type; KServe's client asks {@code GET /} for liveness
 * and reads an error only from {@code application/json}; gRPC health is asked per
 * service; older tools speak reflection's {@code v1alpha}.
 */
class ClientCompatibilityIntegrationTest extends DefaultServingContext {

	private static final HttpClient HTTP = HttpClient.newHttpClient();

	private static final String BODY = "{\"instances\": [\"A fine film\"]}";

	@Value("${local.server.port}")
	private int port;

	@Value("${local.grpc.port}")
	private int grpcPort;

	@Test
	void jsonWithoutAContentTypeOrAsAFormIsReadAsJson() throws Exception {
		assertThat(post("/v1/models/sentiment:predict", null, BODY).statusCode()).isEqualTo(200);
		assertThat(post("/v1/models/sentiment:predict", "application/x-www-form-urlencoded", BODY).statusCode())
			.isEqualTo(200);
		assertThat(post("/v2/models/sentiment/infer", null,
				"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"fine\"]}]}")
			.statusCode()).isEqualTo(200);
		HttpResponse<String> other = post("/v1/models/sentiment:predict", "text/plain", BODY);
		assertThat(other.statusCode()).as("another declared type is still refused").isEqualTo(415);
	}

	@Test
	void tritonsBinaryTensorDataIsReadAsItsJsonForm() throws Exception {
		// Two BYTES elements, each a 4-byte little-endian length and its bytes.
		java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
		for (String value : new String[] { "I love it", "I hate it" }) {
			byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
			text.writeBytes(java.nio.ByteBuffer.allocate(4)
				.order(java.nio.ByteOrder.LITTLE_ENDIAN)
				.putInt(bytes.length)
				.array());
			text.writeBytes(bytes);
		}
		HttpResponse<String> labels = binary("/v2/models/sentiment/infer",
				"{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[2],"
						+ "\"parameters\":{\"binary_data_size\":" + text.size() + "}}],"
						+ "\"outputs\":[{\"name\":\"label\",\"parameters\":{\"binary_data\":true}}]}",
				text.toByteArray());
		assertThat(labels.statusCode()).as(labels.body()).isEqualTo(200);
		assertThat(labels.body()).contains("\"data\":[\"positive\",\"negative\"]");
		// 48 float32 pixels of one 4 × 4 × 3 image, all 0.75: brightness 0.75.
		java.nio.ByteBuffer pixels = java.nio.ByteBuffer.allocate(4 * 48).order(java.nio.ByteOrder.LITTLE_ENDIAN);
		for (int i = 0; i < 48; i++) {
			pixels.putFloat(0.75f);
		}
		HttpResponse<String> bright = binary("/v2/models/pixels/infer",
				"{\"inputs\":[{\"name\":\"image\",\"datatype\":\"FP32\",\"shape\":[1,4,4,3],"
						+ "\"parameters\":{\"binary_data_size\":192}}],\"outputs\":[{\"name\":\"brightness\"}]}",
				pixels.array());
		assertThat(bright.statusCode()).as(bright.body()).isEqualTo(200);
		assertThat(bright.body()).contains("\"data\":[0.75]");
		HttpResponse<String> short_ = binary("/v2/models/pixels/infer",
				"{\"inputs\":[{\"name\":\"image\",\"datatype\":\"FP32\",\"shape\":[1,4,4,3],"
						+ "\"parameters\":{\"binary_data_size\":192}}]}",
				new byte[100]);
		assertThat(short_.statusCode()).isEqualTo(400);
		assertThat(short_.body()).contains("urn:eino:problem:request-shape").contains("binary_data_size 192");
	}

	@Test
	void kservesClientReadsLivenessAtTheRootAndErrorsAsJson() throws Exception {
		HttpResponse<String> alive = HTTP.send(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/")).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(alive.statusCode()).isEqualTo(200);
		assertThat(alive.body()).isEqualTo("{\"status\":\"alive\"}");
		HttpResponse<String> json = HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/v1/models/nothing-here"))
				.header("Accept", "application/json")
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(json.statusCode()).isEqualTo(404);
		assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
		assertThat(json.body()).contains("\"error\":\"").contains("\"type\":\"urn:eino:problem:unknown-model\"");
		HttpResponse<String> problem = HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/v1/models/nothing-here"))
				.header("Accept", "application/json, application/problem+json")
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(problem.headers().firstValue("Content-Type")).hasValue("application/problem+json");
	}

	@Test
	void grpcHealthIsAnsweredForEachServedServiceAndReflectionInV1Alpha() throws Exception {
		ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", this.grpcPort).usePlaintext().build();
		try {
			HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel)
				.withDeadlineAfter(10, TimeUnit.SECONDS);
			for (String service : new String[] { "", "inference.GRPCInferenceService",
					"tensorflow.serving.PredictionService", "tensorflow.serving.ModelService" }) {
				assertThat(health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
					.as(service)
					.isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
			}
			org.assertj.core.api.Assertions
				.assertThatThrownBy(() -> health.check(HealthCheckRequest.newBuilder().setService("no.Such").build()))
				.isInstanceOf(StatusRuntimeException.class)
				.hasMessageContaining("NOT_FOUND");
			java.util.concurrent.CompletableFuture<ServerReflectionResponse> listed = new java.util.concurrent.CompletableFuture<>();
			StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
				.withDeadlineAfter(10, TimeUnit.SECONDS)
				.serverReflectionInfo(new StreamObserver<>() {

					@Override
					public void onNext(ServerReflectionResponse response) {
						listed.complete(response);
					}

					@Override
					public void onError(Throwable error) {
						listed.completeExceptionally(error);
					}

					@Override
					public void onCompleted() {
					}

				});
			requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
			requests.onCompleted();
			assertThat(listed.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
				.extracting((service) -> service.getName())
				.contains("inference.GRPCInferenceService", "tensorflow.serving.PredictionService");
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
	}

	/** A request as Triton's client sends it with binary data: JSON, then raw bytes. */
	private HttpResponse<String> binary(String path, String json, byte[] data) throws Exception {
		byte[] header = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
		byte[] body = java.util.Arrays.copyOf(header, header.length + data.length);
		System.arraycopy(data, 0, body, header.length, data.length);
		return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.header("Inference-Header-Content-Length", Integer.toString(header.length))
			.header("Content-Type", "application/octet-stream")
			.POST(HttpRequest.BodyPublishers.ofByteArray(body))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(30))
			.POST(HttpRequest.BodyPublishers.ofString(body));
		if (contentType != null) {
			request.header("Content-Type", contentType);
		}
		return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

}
