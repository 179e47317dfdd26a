package io.eino.serving.grpc;

import java.time.Duration;
import java.util.Locale;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.eino.serving.batching.BatchingException;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.ErrorTier;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Rule;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.ratelimit.RateLimitedException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures of gRPC calls become gRPC statuses, as
 * {@code ProblemHandler} does for HTTP (docs/protocols.md, "gRPC status codes"): the same
 * {@link Failure} classification and error metrics; the rule travels in an
 * {@code ErrorInfo} detail (reason = the rule's slug, domain {@value #DOMAIN}, the tier
 * in its metadata) and a retry delay in a {@code RetryInfo} detail, the standard details
 * of {@code google.rpc.Status}.
 */
final class GrpcFailures {

	private static final Logger logger = LoggerFactory.getLogger(GrpcFailures.class);

	static final String DOMAIN = "eino.io";

	private static final Duration RETRY_SOON = Duration.ofSeconds(1);

	private final ErrorMetrics errors;

	private final SystemErrorMonitor systemErrors;

	GrpcFailures(ErrorMetrics errors, SystemErrorMonitor systemErrors) {
		this.errors = errors;
		this.systemErrors = systemErrors;
	}

	/**
	 * Classifies, counts and converts a failure; the message never holds a stack trace.
	 */
	StatusRuntimeException toStatus(Throwable failure, String method) {
		if (failure instanceof StatusRuntimeException status) {
			return status;
		}
		Failure classified = Failure.of(failure);
		this.errors.count(classified);
		if (classified.tier() == ErrorTier.SYSTEM) {
			this.systemErrors.record();
			logger.error("gRPC call {} failed (tier=system)", method, failure);
		}
		Status.Code code = code(classified.rule());
		com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
			.setCode(code.value())
			.setMessage(classified.detail())
			.addDetails(Any.pack(ErrorInfo.newBuilder()
				.setReason(classified.rule().slug())
				.setDomain(DOMAIN)
				.putMetadata("tier", classified.tier().name().toLowerCase(Locale.ROOT))
				.build()));
		Duration retryAfter = retryAfter(failure, classified);
		if (retryAfter != null) {
			status.addDetails(Any.pack(RetryInfo.newBuilder()
				.setRetryDelay(com.google.protobuf.Duration.newBuilder()
					.setSeconds(retryAfter.toSeconds())
					.setNanos(retryAfter.toNanosPart()))
				.build()));
		}
		return StatusProto.toStatusRuntimeException(status.build());
	}

	/** The gRPC code of each rule of the catalogue. */
	static Status.Code code(Rule rule) {
		return switch (rule) {
			case UNKNOWN_MODEL, NOT_FOUND -> Status.Code.NOT_FOUND;
			case UNKNOWN_API_KEY, MISSING_API_KEY, MANAGEMENT_CREDENTIALS -> Status.Code.UNAUTHENTICATED;
			case RATE_LIMIT, OVERLOADED, QUEUE_FULL, BODY_SIZE -> Status.Code.RESOURCE_EXHAUSTED;
			case DEADLINE_EXCEEDED, BODY_TIMEOUT -> Status.Code.DEADLINE_EXCEEDED;
			case QUEUE_CLOSED, MODEL_UNAVAILABLE, MODEL_LOAD, IN_PROGRESS -> Status.Code.UNAVAILABLE;
			case METHOD_NOT_ALLOWED -> Status.Code.UNIMPLEMENTED;
			case MODEL_EXECUTION, MODEL_OUTPUT, MODEL_DECRYPTION, INTERNAL_ERROR -> Status.Code.INTERNAL;
			default -> Status.Code.INVALID_ARGUMENT;
		};
	}

	private static Duration retryAfter(Throwable failure, Failure classified) {
		if (failure instanceof RateLimitedException limited) {
			return limited.retryAfter();
		}
		if (failure instanceof BatchingException.Overloaded overloaded) {
			return overloaded.retryAfter();
		}
		if (classified.tier() == ErrorTier.CAPACITY || classified.status() == 503) {
			return RETRY_SOON;
		}
		return null;
	}

}
