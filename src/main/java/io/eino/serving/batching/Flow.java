package io.eino.serving.batching;

/**
 * A flow's queued work and where its next task's start tag begins. Guarded by itself.
 */
final class Flow {

	/** Predicted work of its tasks admitted and not yet dispatched or dropped. */
	volatile long backlog;

	/** How many tasks that is. */
	volatile int tasks;

	/** The end tag of its latest task. */
	volatile long lastFinish;

	/** Removed from the map: a submitter holding it must look again. */
	boolean gone;

}
