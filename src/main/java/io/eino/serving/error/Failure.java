package io.eino.serving.error;

import io.eino.serving.batching.BatchingException;
import io.eino.serving.client.ApiKeyException;
import io.eino.serving.model.ModelFailureException;
import io.eino.serving.model.ModelLoadException;
import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelUnavailableException;
import io.eino.serving.ratelimit.RateLimitedException;
import io.eino.serving.validation.InvalidInputException;

/**
 * What a failure is, decided in this one place for every stage (README, "Errors" and
 * "Request path"): its tier, the rule that names it, its HTTP status and the detail a
 * client may see. The API turns it into a problem; plugins see it as the request's
 * outcome.
 *
 * @param tier the error tier
 * @param rule a short slug, the problem type ({@code urn:eino:problem:<rule>})
 * @param status the HTTP status
 * @param detail what the client is told; never a stack trace or internal state
 */
public record Failure(ErrorTier tier, String rule, int status, String detail) {

	/** The rule of every failure the service did not expect. */
	public static final String INTERNAL = "internal-error";

	/** The rule of a request refused because it would wait too long. */
	public static final String OVERLOADED = "overloaded";

	/** The rule of a request whose client went away before it was answered. */
	public static final String CANCELLED = "cancelled";

	/** The rule of a model package that could not be decrypted. */
	public static final String DECRYPTION = "model-decryption";

	/** Classifies a failure of any stage. */
	public static Failure of(Throwable failure) {
		if (failure instanceof InvalidInputException invalid) {
			int status = switch (invalid.kind()) {
				case MALFORMED -> 400;
				case TOO_LARGE -> 413;
				case UNPROCESSABLE -> 422;
				case TOO_SLOW -> 408;
			};
			return new Failure(ErrorTier.INPUT, invalid.rule(), status, invalid.getMessage());
		}
		if (failure instanceof ApiKeyException key) {
			return new Failure(ErrorTier.INPUT, key.rule(), 401, failure.getMessage());
		}
		if (failure instanceof ModelNotFoundException) {
			return new Failure(ErrorTier.INPUT, "unknown-model", 404, failure.getMessage());
		}
		if (failure instanceof RateLimitedException) {
			return new Failure(ErrorTier.CAPACITY, "rate-limit", 429, failure.getMessage());
		}
		if (failure instanceof BatchingException batching) {
			return new Failure(ErrorTier.CAPACITY, capacityRule(batching), 503, failure.getMessage());
		}
		if (failure instanceof ModelUnavailableException) {
			return new Failure(ErrorTier.MODEL, "model-unavailable", 503, failure.getMessage());
		}
		if (failure instanceof ModelLoadException load) {
			if (load.step() == ModelLoadException.Step.DECRYPT) {
				return new Failure(ErrorTier.SYSTEM, DECRYPTION, 500, failure.getMessage());
			}
			return new Failure(ErrorTier.MODEL, "model-load", 503, failure.getMessage());
		}
		if (failure instanceof ModelFailureException model) {
			return new Failure(ErrorTier.MODEL, model.rule(), 502, failure.getMessage());
		}
		return new Failure(ErrorTier.SYSTEM, INTERNAL, 500,
				"The service failed to process the request; it has been logged");
	}

	private static String capacityRule(BatchingException failure) {
		if (failure instanceof BatchingException.QueueFull) {
			return "queue-full";
		}
		if (failure instanceof BatchingException.Overloaded) {
			return OVERLOADED;
		}
		if (failure instanceof BatchingException.DeadlineExceeded) {
			return "deadline-exceeded";
		}
		return "queue-closed";
	}

}
