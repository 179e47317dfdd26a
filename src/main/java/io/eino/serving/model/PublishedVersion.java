package io.eino.serving.model;

import java.time.Duration;

/**
 * A version as the {@link ModelRegistry} holds it: served while published, counted while
 * leased, and closed once it is retired and drained.
 */
public interface PublishedVersion extends ServingVersion, AutoCloseable {

	/** Takes a lease; the registry does so for {@link ModelRegistry#lease}. */
	void acquire();

	/** The leases not yet released. */
	int inFlight();

	/** How long it may take to finish in-flight work once it is replaced. */
	Duration drainTimeout();

	/** Frees everything it holds; called once, after the drain. */
	@Override
	void close();

}
