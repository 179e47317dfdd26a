package io.eino.serving.model.loading;

import io.eino.serving.runtime.SessionSettings;

/**
 * One way the startup step may serve a version, measured against the graph as imported.
 *
 * @param name the step's name in the metadata and the log
 * @param settings the session settings that make it
 * @param precision {@code fp32}, {@code bf16} or {@code int8}
 * @param what what it does to the graph, for the report
 */
record Candidate(String name, SessionSettings settings, String precision, String what) {

	/** Whether it computes in reduced precision (checked by the accuracy gate). */
	boolean reduced() {
		return !this.precision.equals("fp32");
	}

}
