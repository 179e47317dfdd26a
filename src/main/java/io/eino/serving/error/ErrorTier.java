package io.eino.serving.error;

/**
 * The four kinds of failure (docs/errors.md and docs/request-path.md), each handled its
 * own way.
 */
public enum ErrorTier {

	/** The request is wrong: rejected with the rule it broke, no alert. */
	INPUT,

	/** Too much load: shed early with Retry-After. */
	CAPACITY,

	/** The model misbehaves or cannot serve: degrade. */
	MODEL,

	/** The service itself failed: alert. */
	SYSTEM

}
