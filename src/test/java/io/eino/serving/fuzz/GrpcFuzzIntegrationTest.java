package io.eino.serving.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelMetadataRequest;
import io.eino.serving.LogLines;
import io.eino.serving.api.DefaultServingContext;
import io.eino.serving.grpc.RawCalls;
import io.eino.serving.grpc.TextTensors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded, bounded fuzzing of the gRPC port: valid requests of each protocol with their
 * bytes mutated (flipped, truncated, spliced, overlong varints), each answered with a
 * status that is not a server failure; and raw HTTP/2 connections sending malformed
 * frames, each either left open or closed with a GOAWAY that says why, never dropped
 * silently. Nothing is logged at ERROR or with a stack trace, and a health check is
 * served after every batch. {@code -Deino.fuzz.cases} and {@code -Deino.fuzz.seed} as for
 * {@link HttpFuzzIntegrationTest}.
 */
@ExtendWith(OutputCaptureExtension.class)
class GrpcFuzzIntegrationTest extends DefaultServingContext {

	/** Statuses that say the server failed, not the request. */
	private static final Set<Status.Code> SERVER_FAILURES = Set.of(Status.Code.UNKNOWN, Status.Code.INTERNAL,
			Status.Code.DATA_LOSS, Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);

	private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

	private static final int GOAWAY = 7;

	@Value("${local.grpc.port}")
	private int port;

	@Test
	void mutatedMessagesAreRefusedAsTheClientsFault(CapturedOutput output) throws Exception {
		int logged = output.getAll().length();
		ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", this.port).usePlaintext().build();
		try {
			ModelSpec spec = ModelSpec.newBuilder()
				.setName("sentiment")
				.setVersion(Int64Value.of(Long.parseLong(V)))
				.build();
			List<Map.Entry<MethodDescriptor<?, ?>, byte[]>> seeds = List.of(
					Map.entry(PredictionServiceGrpc.getPredictMethod(),
							PredictRequest.newBuilder()
								.setModelSpec(spec)
								.putInputs("text", TextTensors.strings("A fine film"))
								.build()
								.toByteArray()),
					Map.entry(PredictionServiceGrpc.getGetModelMetadataMethod(),
							GetModelMetadataRequest.newBuilder()
								.setModelSpec(spec)
								.addMetadataField("signature_def")
								.build()
								.toByteArray()),
					Map.entry(ModelServiceGrpc.getGetModelStatusMethod(),
							GetModelStatusRequest.newBuilder().setModelSpec(spec).build().toByteArray()),
					Map.entry(GRPCInferenceServiceGrpc.getModelInferMethod(),
							ModelInferRequest.newBuilder()
								.setModelName("sentiment")
								.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
									.setName("text")
									.setDatatype("BYTES")
									.addShape(1)
									.setContents(InferTensorContents.newBuilder()
										.addBytesContents(ByteString.copyFromUtf8("A fine film"))))
								.build()
								.toByteArray()),
					Map.entry(GRPCInferenceServiceGrpc.getModelMetadataMethod(),
							ModelMetadataRequest.newBuilder().setName("sentiment").build().toByteArray()),
					Map.entry(HealthGrpc.getCheckMethod(),
							HealthCheckRequest.newBuilder()
								.setService("inference.GRPCInferenceService")
								.build()
								.toByteArray()));
			SplittableRandom random = new SplittableRandom(HttpFuzzIntegrationTest.SEED);
			Map<String, Integer> codes = new TreeMap<>();
			List<String> failures = new ArrayList<>();
			for (int i = 0; i < HttpFuzzIntegrationTest.CASES; i++) {
				Map.Entry<MethodDescriptor<?, ?>, byte[]> seed = seeds.get(random.nextInt(seeds.size()));
				byte[] bytes = mutate(seed.getValue(), random);
				Status status = RawCalls.call(channel, seed.getKey(), bytes);
				codes.merge(status.getCode().name(), 1, Integer::sum);
				if (SERVER_FAILURES.contains(status.getCode())) {
					failures
						.add(seed.getKey().getFullMethodName() + " " + status + " for " + ByteString.copyFrom(bytes));
				}
				if (i % 50 == 49) {
					assertServing(channel);
				}
			}
			System.out.println("Fuzzed gRPC messages: " + HttpFuzzIntegrationTest.CASES + " cases, seed "
					+ HttpFuzzIntegrationTest.SEED + ", statuses " + codes);
			assertThat(failures).isEmpty();
			assertServing(channel);
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
		String log = output.getAll().substring(logged);
		LogLines.assertNoErrorOrStackTrace(log);
	}

	@Test
	void malformedHttp2FramesAreRefusedWithAGoAway(CapturedOutput output) throws Exception {
		int logged = output.getAll().length();
		SplittableRandom random = new SplittableRandom(HttpFuzzIntegrationTest.SEED + 1);
		List<String> failures = new ArrayList<>();
		Map<String, Integer> endings = new TreeMap<>();
		int cases = Math.max(20, HttpFuzzIntegrationTest.CASES / 5);
		ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", this.port).usePlaintext().build();
		try {
			for (int i = 0; i < cases; i++) {
				ByteArrayOutputStream frames = new ByteArrayOutputStream();
				frames.writeBytes(PREFACE);
				frame(frames, 4, 0, 0, new byte[0]);
				List<String> sent = new ArrayList<>();
				for (int n = 0; n < 1 + random.nextInt(3); n++) {
					sent.add(malformedFrame(frames, random));
				}
				String ending = exchange(frames.toByteArray());
				endings.merge(ending.replaceAll(" .*", ""), 1, Integer::sum);
				if (ending.startsWith("closed-without-goaway")) {
					failures.add(ending + " after " + sent);
				}
				if (i % 20 == 19) {
					assertServing(channel);
				}
			}
			assertServing(channel);
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
		System.out.println("Fuzzed HTTP/2 frames: " + cases + " connections, endings " + endings);
		assertThat(failures).isEmpty();
		String log = output.getAll().substring(logged);
		LogLines.assertNoErrorOrStackTrace(log);
	}

	private static void assertServing(ManagedChannel channel) {
		assertThat(HealthGrpc.newBlockingStub(channel)
			.withDeadlineAfter(10, TimeUnit.SECONDS)
			.check(HealthCheckRequest.getDefaultInstance())
			.getStatus()).as("served after a batch of cases").isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
	}

	/** The message's bytes, changed one to three times. */
	private static byte[] mutate(byte[] message, SplittableRandom random) {
		byte[] bytes = message.clone();
		for (int n = 0; n < 1 + random.nextInt(3); n++) {
			switch (random.nextInt(6)) {
				case 0 -> {
					if (bytes.length > 0) {
						bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
					}
				}
				case 1 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
				case 2 -> {
					// A field of a random number and wire type, spliced in.
					ByteArrayOutputStream out = new ByteArrayOutputStream();
					int at = random.nextInt(bytes.length + 1);
					out.write(bytes, 0, at);
					out.write(random.nextInt(256));
					out.write(random.nextInt(256));
					out.write(bytes, at, bytes.length - at);
					bytes = out.toByteArray();
				}
				case 3 -> {
					// An overlong varint: ten continuation bytes.
					ByteArrayOutputStream out = new ByteArrayOutputStream();
					out.writeBytes(bytes);
					out.write(0x08);
					for (int i = 0; i < 10; i++) {
						out.write(0xff);
					}
					bytes = out.toByteArray();
				}
				case 4 -> {
					// A length-delimited field that claims more than there is.
					ByteArrayOutputStream out = new ByteArrayOutputStream();
					out.writeBytes(bytes);
					out.write(0x12);
					out.write(0xff);
					out.write(0x7f);
					bytes = out.toByteArray();
				}
				default -> {
					if (bytes.length > 0) {
						bytes = ByteArrayOutputStreamConcat.twice(bytes);
					}
				}
			}
		}
		return bytes;
	}

	/** Repeated fields merge in protobuf: the message twice is valid, and larger. */
	private static final class ByteArrayOutputStreamConcat {

		static byte[] twice(byte[] bytes) {
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			out.writeBytes(bytes);
			out.writeBytes(bytes);
			return out.toByteArray();
		}

	}

	/** One frame that breaks HTTP/2's rules, or a random one; its description. */
	private static String malformedFrame(ByteArrayOutputStream out, SplittableRandom random) {
		int kind = random.nextInt(10);
		switch (kind) {
			case 0 -> frame(out, 0, 0, 0, new byte[] { 1, 2, 3 });
			case 1 -> frame(out, 1, 4, 1, randomBytes(random, 1 + random.nextInt(40)));
			case 2 -> frame(out, 8, 0, 0, new byte[] { 0, 0, 0, 0 });
			case 3 -> frame(out, 4, 0, 0, new byte[] { 0, 4, 1, 2, 3 });
			case 4 -> frame(out, 6, 0, 0, new byte[] { 1, 2, 3 });
			case 5 -> frame(out, 3, 0, 0, new byte[] { 0, 0, 0, 8 });
			case 6 -> frame(out, 9, 4, 3, new byte[] { (byte) 0x82 });
			case 7 -> frame(out, 2, 0, 5, new byte[] { 0, 0, 0, 5, 16 });
			case 8 -> {
				// A frame longer than the default maximum frame size.
				frame(out, 0, 0, 1, new byte[20_000]);
			}
			default -> frame(out, random.nextInt(16), random.nextInt(256), random.nextInt(8),
					randomBytes(random, random.nextInt(64)));
		}
		return "kind " + kind;
	}

	private static byte[] randomBytes(SplittableRandom random, int length) {
		byte[] bytes = new byte[length];
		for (int i = 0; i < length; i++) {
			bytes[i] = (byte) random.nextInt(256);
		}
		return bytes;
	}

	private static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
		out.write(payload.length >>> 16);
		out.write(payload.length >>> 8);
		out.write(payload.length);
		out.write(type);
		out.write(flags);
		out.write(stream >>> 24 & 0x7f);
		out.write(stream >>> 16);
		out.write(stream >>> 8);
		out.write(stream);
		out.writeBytes(payload);
	}

	/**
	 * Sends the bytes on a new connection and reads what comes back for a second: how it
	 * ended ({@code open}, {@code goaway}, or {@code closed-without-goaway}).
	 */
	private String exchange(byte[] bytes) throws IOException {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", this.port), 5_000);
			socket.setSoTimeout(1_000);
			try {
				socket.getOutputStream().write(bytes);
			}
			catch (SocketException ex) {
				// Closed while sending: what was answered is still to be read.
			}
			ByteArrayOutputStream received = new ByteArrayOutputStream();
			InputStream in = socket.getInputStream();
			byte[] buffer = new byte[8192];
			boolean closed = false;
			try {
				for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
					received.write(buffer, 0, read);
				}
				closed = true;
			}
			catch (SocketTimeoutException ex) {
				// Still open after a second.
			}
			catch (SocketException ex) {
				closed = true;
			}
			boolean goAway = hasFrame(received.toByteArray(), GOAWAY);
			return goAway ? "goaway" : closed ? "closed-without-goaway (" + received.size() + " bytes)" : "open";
		}
	}

	/** Whether the server's frames include one of {@code type}. */
	private static boolean hasFrame(byte[] data, int type) {
		int at = 0;
		while (at + 9 <= data.length) {
			int length = (data[at] & 0xff) << 16 | (data[at + 1] & 0xff) << 8 | (data[at + 2] & 0xff);
			if ((data[at + 3] & 0xff) == type) {
				return true;
			}
			at += 9 + length;
		}
		return false;
	}

}
