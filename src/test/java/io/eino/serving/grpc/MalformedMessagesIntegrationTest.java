package io.eino.serving.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import inference.GRPCInferenceServiceGrpc;
import io.eino.serving.LogLines;
import io.eino.serving.api.DefaultServingContext;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.PredictionServiceGrpc;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes that are not a protobuf message of the method's type, sent to every method of
 * every service the gRPC port serves (the two protocols', health and reflection): each is
 * refused INVALID_ARGUMENT with a message and the rule {@code malformed-request},
 * counted, with no ERROR line or stack trace in the log, and the port goes on serving.
 */
@ExtendWith(OutputCaptureExtension.class)
class MalformedMessagesIntegrationTest extends DefaultServingContext {

	/** A length-delimited field whose length never comes, and a tag of field 0. */
	private static final List<byte[]> MALFORMED = List.of(new byte[] { '\n' }, new byte[] { 0, 1, 2 });

	private static ManagedChannel channel;

	@Value("${local.grpc.port}")
	private int port;

	@Autowired
	private MeterRegistry meters;

	@BeforeEach
	void connect() {
		if (channel == null) {
			channel = ManagedChannelBuilder.forAddress("localhost", this.port).usePlaintext().build();
		}
	}

	@AfterAll
	static void disconnect() {
		if (channel != null) {
			channel.shutdownNow();
			channel = null;
		}
	}

	@Test
	void everyMethodRefusesMalformedBytesAsBadInput(CapturedOutput output) throws Exception {
		int logged = output.getAll().length();
		double before = refusals();
		List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
		for (ServiceDescriptor service : List.of(PredictionServiceGrpc.getServiceDescriptor(),
				ModelServiceGrpc.getServiceDescriptor(), GRPCInferenceServiceGrpc.getServiceDescriptor(),
				HealthGrpc.getServiceDescriptor(), ServerReflectionGrpc.getServiceDescriptor())) {
			methods.addAll(service.getMethods());
		}
		for (MethodDescriptor<?, ?> method : methods) {
			for (byte[] bytes : MALFORMED) {
				Status status = RawCalls.call(channel, method, bytes);
				assertThat(status.getCode()).as(method.getFullMethodName()).isEqualTo(Status.Code.INVALID_ARGUMENT);
				assertThat(status.getDescription()).as(method.getFullMethodName())
					.contains("is not a valid " + method.getFullMethodName() + " message");
			}
		}
		assertThat(refusals() - before).isEqualTo(methods.size() * MALFORMED.size());
		HealthCheckResponse health = HealthGrpc.newBlockingStub(channel)
			.withDeadlineAfter(10, TimeUnit.SECONDS)
			.check(HealthCheckRequest.getDefaultInstance());
		assertThat(health.getStatus()).as("the port goes on serving")
			.isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
		String log = output.getAll().substring(logged);
		LogLines.assertNoErrorOrStackTrace(log);
	}

	private double refusals() {
		var counter = this.meters.find("eino.errors").tag("rule", "malformed-request").counter();
		return (counter != null) ? counter.count() : 0;
	}

}
