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
