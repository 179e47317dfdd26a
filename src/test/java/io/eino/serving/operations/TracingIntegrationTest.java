package io.eino.serving.operations;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.grpc.TextTensors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tensorflow.framework.TensorProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.micrometer.tracing.test.autoconfigure.AutoConfigureTracing;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Logs joined to traces (docs/operations.md, "Logs" and "Traces"), with the {@code json}
 * profile and every request sampled: a request carrying a W3C {@code traceparent} is
 * answered in that trace, its access line (a JSON object written by the Logstash encoder,
 * logged after the request hopped from the event loop to the runner and the completion
 * threads) carries the same {@code trace_id} with the model, version and latency, a
 * refused request's problem names the same trace id as its log line, and the spans land
 * in an in-memory exporter under the caller's trace.
 */
@Tag(TestTags.TENSORFLOW)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "management.tracing.sampling.probability=1.0", "eino.grpc.port=0" })
@ActiveProfiles("json")
@AutoConfigureTracing
@ExtendWith(OutputCaptureExtension.class)
class TracingIntegrationTest {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalServerPort
	private int port;

	@Value("${local.grpc.port}")
	private int grpcPort;

	@Autowired
	private InMemorySpanExporter spans;

	@Autowired
	private SdkTracerProvider tracerProvider;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("eino.repository.path", () -> TestModels.repository().toString());
		TestModels.smallBuilds(registry, "sentiment");
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class Exporter {

		@Bean
		InMemorySpanExporter inMemorySpanExporter() {
			return InMemorySpanExporter.create();
		}

	}

	@Test
	void aRequestsAccessLineAndSpansCarryTheCallersTraceId(CapturedOutput output) throws Exception {
		String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
		HttpResponse<String> response = predict("{\"instances\":[\"A wonderful, moving film.\"]}",
				"00-" + traceId + "-00f067aa0ba902b7-01");
		assertThat(response.statusCode()).isEqualTo(200);

		JsonNode line = accessLine(output, traceId);
		assertThat(line.path("logger").asString()).isEqualTo("eino.access");
		assertThat(line.path("level").asString()).isEqualTo("INFO");
		assertThat(line.has("@timestamp")).isTrue();
		assertThat(line.path("span_id").asString()).matches("[0-9a-f]{16}");
		assertThat(line.path("model").asString()).isEqualTo("sentiment");
		assertThat(line.path("version").asString())
			.isEqualTo(response.headers().firstValue("Eino-Model-Version").get());
		assertThat(line.path("status").asInt()).isEqualTo(200);
		assertThat(line.path("outcome").asString()).isEqualTo("ok");
		assertThat(line.path("latency_ms").asDouble()).isPositive();
		assertThat(line.path("batch_size").asInt()).isPositive();
		assertThat(line.path("client").asString()).matches("[0-9a-f]{16}");
		assertThat(line.toString()).doesNotContain("wonderful");

		this.tracerProvider.forceFlush().join(10, TimeUnit.SECONDS);
		List<SpanData> trace = this.spans.getFinishedSpanItems()
			.stream()
			.filter((span) -> span.getTraceId().equals(traceId))
			.toList();
		assertThat(trace).as("spans in the caller's trace").isNotEmpty();
		SpanData server = trace.stream()
			.filter((span) -> span.getParentSpanId().equals("00f067aa0ba902b7"))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no span under the caller's: " + trace));
		assertThat(server.getName()).containsIgnoringCase("post");
		assertThat(server.getSpanId()).isEqualTo(line.path("span_id").asString());
		for (String name : List.of("eino.preprocess", "eino.queue", "eino.postprocess")) {
			assertThat(trace).as(name).anySatisfy((span) -> {
				assertThat(span.getName()).isEqualTo(name);
				assertThat(span.getParentSpanId()).isEqualTo(server.getSpanId());
				assertThat(span.getAttributes().asMap().toString()).contains("model=sentiment");
			});
		}
		// The session run is a span of its own trace, linked to every request it served.
		List<SpanData> batches = this.spans.getFinishedSpanItems()
			.stream()
			.filter((span) -> span.getName().equals("eino.batch"))
			.filter((span) -> span.getLinks()
				.stream()
				.anyMatch((link) -> link.getSpanContext().getTraceId().equals(traceId)
						&& link.getSpanContext().getSpanId().equals(server.getSpanId())))
			.toList();
		assertThat(batches).as("batch spans linked to the request").hasSize(1);
		assertThat(batches.get(0).getTraceId()).isNotEqualTo(traceId);
		List<SpanData> reported = new ArrayList<>(trace);
		reported.addAll(batches);
		Files.writeReport(output, line, reported);
	}

	/**
	 * A gRPC call's trace (its {@code traceparent} metadata) reaches the spans the
	 * service records on its own threads: the call hands its trace to the pipeline it
	 * runs.
	 */
	@Test
	void aGrpcCallsSpansCarryTheCallersTraceId() {
		String traceId = "5af7651916cd43dd8448eb211c80319d";
		Metadata headers = new Metadata();
		headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
				"00-" + traceId + "-b7ad6b7169203332-01");
		ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", this.grpcPort).usePlaintext().build();
		try {
			TensorProto text = TextTensors.strings("A wonderful, moving film.");
			PredictResponse response = PredictionServiceGrpc.newBlockingStub(channel)
				.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
				.withDeadlineAfter(60, TimeUnit.SECONDS)
				.predict(PredictRequest.newBuilder()
					.setModelSpec(ModelSpec.newBuilder().setName("sentiment"))
					.putInputs("text", text)
					.build());
			assertThat(response.getOutputsMap()).containsKey("label");
		}
		finally {
			channel.shutdownNow();
		}
		this.tracerProvider.forceFlush().join(10, TimeUnit.SECONDS);
		List<String> names = this.spans.getFinishedSpanItems()
			.stream()
			.filter((span) -> span.getTraceId().equals(traceId))
			.map(SpanData::getName)
			.toList();
		assertThat(names).contains("eino.preprocess", "eino.queue", "eino.postprocess");
	}

	/** Nothing leaves the process unless an OTLP endpoint is configured. */
	@Test
	void noSpanExporterButTheTestsWithoutAnOtlpEndpoint(
			@Autowired org.springframework.context.ApplicationContext context) {
		assertThat(context.getBeansOfType(io.opentelemetry.sdk.trace.export.SpanExporter.class).values())
			.containsExactly(this.spans);
	}

	@Test
	void aRefusedRequestsProblemNamesTheTraceOfItsLogLine(CapturedOutput output) throws Exception {
		String traceId = "0af7651916cd43dd8448eb211c80319c";
		HttpResponse<String> response = predict("{\"instances\":[\"<b>\"]}", "00-" + traceId + "-b7ad6b7169203331-01");
		assertThat(response.statusCode()).isEqualTo(422);
		JsonNode problem = JSON.readTree(response.body());
		assertThat(problem.path("traceId").asString()).isEqualTo(traceId);
		JsonNode line = accessLine(output, traceId);
		assertThat(line.path("status").asInt()).isEqualTo(422);
		assertThat(line.path("outcome").asString()).isEqualTo("error");
		assertThat(line.path("tier").asString()).isEqualTo("input");
		assertThat(line.toString()).doesNotContain("<b>");
	}

	/** Without a traceparent, the problem names the trace the service started. */
	@Test
	void withoutATraceparentTheProblemNamesTheServicesTrace(CapturedOutput output) throws Exception {
		HttpResponse<String> response = HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/v1/models/sentiment:predict"))
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString("{\"instances\":[\"<i>\"]}"))
				.timeout(Duration.ofSeconds(30))
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(422);
		String traceId = JSON.readTree(response.body()).path("traceId").asString();
		assertThat(traceId).matches("[0-9a-f]{32}");
		assertThat(accessLine(output, traceId).path("status").asInt()).isEqualTo(422);
	}

	private HttpResponse<String> predict(String body, String traceparent) throws IOException, InterruptedException {
		return HTTP
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/v1/models/sentiment:predict"))
				.header("Content-Type", "application/json")
				.header("traceparent", traceparent)
				.POST(HttpRequest.BodyPublishers.ofString(body))
				.timeout(Duration.ofSeconds(30))
				.build(), HttpResponse.BodyHandlers.ofString());
	}

	/** The one access line of the trace, waiting briefly for it to be written. */
	private static JsonNode accessLine(CapturedOutput output, String traceId) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		while (true) {
			List<JsonNode> lines = new ArrayList<>();
			for (String text : output.getOut().split("\n")) {
				if (text.startsWith("{") && text.contains(traceId)) {
					JsonNode line = JSON.readTree(text);
					if (line.path("logger").asString().equals("eino.access")
							&& line.path("trace_id").asString().equals(traceId)) {
						lines.add(line);
					}
				}
			}
			if (!lines.isEmpty() || System.nanoTime() > deadline) {
				assertThat(lines).as("access lines of trace %s", traceId).hasSize(1);
				return lines.get(0);
			}
			Thread.sleep(50);
		}
	}

	/** The log line and the trace of one request, for the closing report. */
	private static final class Files {

		static void writeReport(CapturedOutput output, JsonNode line, List<SpanData> trace) throws IOException {
			StringBuilder report = new StringBuilder("## A request's access line and trace\n\n```json\n").append(line)
				.append("\n```\n\n| span | id | parent | kind | ms |\n|---|---|---|---|---|\n");
			for (SpanData span : trace) {
				report.append(String.format("| %s | %s | %s | %s | %.2f |%n", span.getName(), span.getSpanId(),
						span.getParentSpanId(), span.getKind(),
						(span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e6));
			}
			java.nio.file.Path file = java.nio.file.Path.of("target", "tracing-report.md");
			java.nio.file.Files.writeString(file, report.append("\n").toString());
		}

	}

}
