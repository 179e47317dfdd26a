package io.eino.serving.grpc;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.eino.serving.batching.BatchingException;
import io.eino.serving.client.ClientProperties;
import io.eino.serving.client.ClientResolver;
import io.eino.serving.client.SecurityProperties;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Rule;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.model.ModelFailureException;
import io.eino.serving.model.ModelUnavailableException;
import io.eino.serving.ratelimit.RateLimitedException;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How failures become gRPC statuses, rule by rule, and how a call's gRPC deadline becomes
 * its request deadline.
 */
class GrpcFailuresTest {

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final GrpcFailures failures = new GrpcFailures(new ErrorMetrics(this.meters),
			new SystemErrorMonitor(10, Duration.ofMinutes(1), System::nanoTime));

	@ParameterizedTest
	@EnumSource(Rule.class)
	void everyRuleHasAStatusThatIsNotOk(Rule rule) {
		Status.Code code = GrpcFailures.code(rule);
		assertThat(code).isNotEqualTo(Status.Code.OK).isNotEqualTo(Status.Code.UNKNOWN);
		switch (rule.tier()) {
			case INPUT ->
				assertThat(code).isIn(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, Status.Code.UNAUTHENTICATED,
						Status.Code.RESOURCE_EXHAUSTED, Status.Code.DEADLINE_EXCEEDED, Status.Code.UNIMPLEMENTED);
			case CAPACITY -> assertThat(code).isIn(Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNAVAILABLE,
					Status.Code.DEADLINE_EXCEEDED);
			case MODEL -> assertThat(code).isIn(Status.Code.UNAVAILABLE, Status.Code.INTERNAL);
			case SYSTEM -> assertThat(code).isEqualTo(Status.Code.INTERNAL);
		}
	}

	@Test
	void theGrpcTableOfTheErrorDocsIsTheMapping() throws Exception {
		List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("docs", "errors.md"));
		int start = lines.indexOf("## gRPC status codes");
		assertThat(start).isNotNegative();
		java.util.Map<Rule, Status.Code> documented = new java.util.EnumMap<>(Rule.class);
		Status.Code others = null;
		for (String line : lines.subList(start, lines.size())) {
			if (!line.startsWith("| ") || line.startsWith("| rules")) {
				continue;
			}
			String[] cells = line.split("\\|");
			Status.Code code = Status.Code.valueOf(cells[2].trim().split("[ `]+")[1]);
			if (cells[1].contains("every other")) {
				others = code;
				continue;
			}
			java.util.regex.Matcher slugs = java.util.regex.Pattern.compile("`([a-z-]+)`").matcher(cells[1]);
			while (slugs.find()) {
				documented.put(java.util.Arrays.stream(Rule.values())
					.filter((rule) -> rule.slug().equals(slugs.group(1)))
					.findFirst()
					.orElseThrow(), code);
			}
		}
		for (Rule rule : Rule.values()) {
			Status.Code expected = documented.getOrDefault(rule,
					(rule.tier() == io.eino.serving.error.ErrorTier.INPUT) ? others : null);
			assertThat(GrpcFailures.code(rule)).as(rule.slug()).isEqualTo(expected);
		}
	}

	@Test
	void aRateLimitIsResourceExhaustedWithItsRetryDelay() {
		StatusRuntimeException status = this.failures
			.toStatus(new RateLimitedException("m", 10, Duration.ofSeconds(1), Duration.ofMillis(2500)), "Predict");
		assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
		assertThat(detail(status, RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(2);
		assertThat(detail(status, RetryInfo.class).getRetryDelay().getNanos()).isEqualTo(500_000_000);
		assertThat(detail(status, ErrorInfo.class).getReason()).isEqualTo("rate-limit");
		assertThat(detail(status, ErrorInfo.class).getMetadataMap()).containsEntry("tier", "capacity");
		assertThat(this.meters.get("eino.errors").tag("rule", "rate-limit").counter().count()).isEqualTo(1);
	}

	@Test
	void overloadIsResourceExhaustedAndAnUnavailableModelUnavailable() {
		StatusRuntimeException overloaded = this.failures.toStatus(new BatchingException.Overloaded("q",
				Duration.ofSeconds(3), Duration.ofSeconds(1), false, Duration.ofSeconds(3)), "ModelInfer");
		assertThat(overloaded.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
		assertThat(detail(overloaded, RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(3);
		StatusRuntimeException closed = this.failures.toStatus(new BatchingException.QueueClosed("q"), "Predict");
		assertThat(closed.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
		assertThat(detail(closed, RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(1);
		StatusRuntimeException model = this.failures.toStatus(new ModelUnavailableException("down"), "Predict");
		assertThat(model.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
	}

	@Test
	void modelAndSystemFailuresAreInternalWithoutTheirInsides() {
		StatusRuntimeException execution = this.failures
			.toStatus(new ModelFailureException(Rule.MODEL_EXECUTION, "Model 'm' failed to run", null), "Predict");
		assertThat(execution.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
		StatusRuntimeException system = this.failures
			.toStatus(new IllegalStateException("secret internal state at line 42"), "Predict");
		assertThat(system.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
		assertThat(system.getStatus().getDescription()).doesNotContain("secret").doesNotContain("Exception");
		assertThat(detail(system, ErrorInfo.class).getReason()).isEqualTo("internal-error");
	}

	@Test
	void theCallDeadlineBoundsTheRequestDeadline() throws Exception {
		CallContext calls = new CallContext(
				new ClientResolver(new ClientProperties(List.of()), new SecurityProperties(null, true)), Tracer.NOOP);
		Context.CancellableContext call = Context.current()
			.withDeadlineAfter(2, TimeUnit.SECONDS, java.util.concurrent.Executors.newSingleThreadScheduledExecutor());
		RequestOptions options = call.call(() -> calls.options(calls.client()));
		call.cancel(null);
		assertThat(options.timeout()).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(2));
		assertThat(options.client()).isEqualTo("addr:unknown");
		RequestOptions without = calls.options(calls.client());
		assertThat(without.timeout()).isNull();
	}

	private static <T extends com.google.protobuf.Message> T detail(StatusRuntimeException status, Class<T> type) {
		for (Any detail : StatusProto.fromThrowable(status).getDetailsList()) {
			if (detail.is(type)) {
				try {
					return detail.unpack(type);
				}
				catch (com.google.protobuf.InvalidProtocolBufferException ex) {
					throw new IllegalStateException(ex);
				}
			}
		}
		throw new AssertionError("No " + type.getSimpleName() + " in " + status);
	}

}
