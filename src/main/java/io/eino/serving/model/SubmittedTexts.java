package io.eino.serving.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import io.eino.serving.batching.BatchTask;

/**
 * A request's texts as a version's queue took them, and all a request sees of the
 * batching: when they have all started and all settled, the row each one answered, how
 * long the longest waited and the largest batch any of them ran in; and cancelling those
 * that have not started. The queue's tasks stay behind it.
 */
public final class SubmittedTexts {

	private final List<? extends BatchTask<?, float[]>> tasks;

	public SubmittedTexts(List<? extends BatchTask<?, float[]>> tasks) {
		this.tasks = List.copyOf(tasks);
	}

	public int size() {
		return this.tasks.size();
	}

	/**
	 * Completes, never exceptionally, once every text has run, failed or been cancelled.
	 */
	public CompletableFuture<Void> settled() {
		return CompletableFuture.allOf(this.tasks.stream()
			.map((task) -> task.result().handle((value, failure) -> null))
			.toArray(CompletableFuture[]::new));
	}

	/**
	 * Each text's output row, in request order, once {@link #settled()}.
	 * @throws java.util.concurrent.CompletionException with the first text's failure
	 */
	public List<float[]> rows() {
		List<float[]> rows = new ArrayList<>(this.tasks.size());
		this.tasks.forEach((task) -> rows.add(task.result().join()));
		return rows;
	}

	/** How long the text that waited longest spent in the queue. */
	public long queueNanos() {
		return this.tasks.stream().mapToLong(BatchTask::queueNanos).max().orElse(0);
	}

	/** The tokens of the texts as the model reads them, special tokens included. */
	public int tokens() {
		return this.tasks.stream().mapToInt(BatchTask::length).sum();
	}

	/** The size of the largest batch any of the texts ran in. */
	public int batchSize() {
		return this.tasks.stream().mapToInt(BatchTask::batchSize).max().orElse(0);
	}

	/** Runs {@code action} once every text has started running. */
	public void whenAllStarted(Runnable action) {
		AtomicInteger waiting = new AtomicInteger(this.tasks.size());
		for (BatchTask<?, ?> task : this.tasks) {
			task.whenStarted(() -> {
				if (waiting.decrementAndGet() == 0) {
					action.run();
				}
			});
		}
	}

	/** Takes the texts that have not started out of the queue. */
	public void cancel() {
		this.tasks.forEach(BatchTask::cancel);
	}

}
