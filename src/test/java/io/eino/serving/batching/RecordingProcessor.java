package io.eino.serving.batching;

import java.util.ArrayList;
import java.util.List;

/**
 * A processor for tests driven by hand: it records the batches it is given and takes as
 * many as {@link #capacity} allows, running none of them.
 */
final class RecordingProcessor implements BatchProcessor<String, String> {

	final List<Batch<String, String>> batches = new ArrayList<>();

	int capacity = Integer.MAX_VALUE;

	@Override
	public boolean hasCapacity() {
		return this.capacity > 0;
	}

	@Override
	public void process(Batch<String, String> batch) {
		this.batches.add(batch);
		this.capacity--;
	}

	/** The inputs of every batch so far, in dispatch order. */
	List<String> order() {
		return this.batches.stream().flatMap((batch) -> batch.inputs().stream()).toList();
	}

}
