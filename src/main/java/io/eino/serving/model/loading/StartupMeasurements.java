package io.eino.serving.model.loading;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.runtime.OpProfile;

/**
 * What the startup step ({@link StartupOptimizer}) needs of the candidates' sessions:
 * {@link SessionMeasurements} on real ones, a fake one in tests of the decisions.
 */
interface StartupMeasurements {

	/**
	 * Opens the candidate's session, or says why it cannot run (null when it can).
	 */
	String open(Candidate candidate);

	/**
	 * Opens every candidate's session ({@link #open}), in order unless the implementation
	 * can do better.
	 * @return why each candidate that cannot run cannot, by candidate
	 */
	default Map<Candidate, String> openAll(List<Candidate> candidates) {
		Map<Candidate, String> failed = new LinkedHashMap<>();
		for (Candidate candidate : candidates) {
			String failure = open(candidate);
			if (failure != null) {
				failed.put(candidate, failure);
			}
		}
		return failed;
	}

	/**
	 * Times the representative batches once on the baseline and on each of
	 * {@code candidates}: the round's total milliseconds of the baseline timed first, of
	 * each candidate in order, and of the baseline timed last.
	 */
	double[] round(List<Candidate> candidates);

	/**
	 * The candidate as it is checked and served: an int8 one calibrated on this version's
	 * activations ({@link SessionMeasurements#calibrated}); as it is here.
	 */
	default Candidate calibrated(Candidate candidate) {
		return candidate;
	}

	/** How the candidate's outputs compare with the graph as imported's. */
	OutputComparison.Agreement compare(Candidate candidate);

	/** Where one run of the reference batch spent its time (null: the baseline). */
	OpProfile profile(Candidate candidate);

	/** What freezing and the encoder rewrites did for the candidate, or empty. */
	String rewrites(Candidate candidate);

	/** Closes the candidate's session once nothing measures it any more. */
	void release(Candidate candidate);

}
