package io.eino.serving.model;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lease count every {@link PublishedVersion} keeps for the registry, kept once: a
 * lease is taken by {@link ModelRegistry#lease} and given back by {@link #release()}; the
 * registry drains a retired version until none is left.
 */
public abstract class LeasedVersion implements PublishedVersion {

	private final AtomicInteger leases = new AtomicInteger();

	@Override
	public void acquire() {
		this.leases.incrementAndGet();
	}

	@Override
	public void release() {
		this.leases.decrementAndGet();
	}

	@Override
	public int inFlight() {
		return this.leases.get();
	}

}
