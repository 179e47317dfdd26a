package io.eino.serving.graph;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The largest absolute value each channel of each int8 product's input took on
 * calibration texts (the model's evaluation texts), keyed by the input's tensor name in
 * the frozen graph. {@link Int8Rewrite} moves each input's per-channel spread into the
 * weights with them, so that one scale per tensor quantises every channel well (the
 * smoothing of Xiao et al., "SmoothQuant", 2023). Measured once by the startup step and
 * stored in the plan, so that every session of a version is rewritten the same way.
 */
public final class ActivationRanges {

	/** No calibration: the products are quantised without smoothing. */
	public static final ActivationRanges NONE = new ActivationRanges(Map.of());

	private final Map<String, float[]> maxima;

	public ActivationRanges(Map<String, float[]> maxima) {
		Map<String, float[]> copy = new LinkedHashMap<>();
		maxima.forEach((tensor, values) -> copy.put(tensor, values.clone()));
		this.maxima = Collections.unmodifiableMap(copy);
	}

	/** The per-channel maxima of {@code tensor}, or null when it was not measured. */
	public float[] of(String tensor) {
		float[] values = this.maxima.get(tensor);
		return (values != null) ? values.clone() : null;
	}

	/** Every measured input and its per-channel maxima (copies), for the stored plan. */
	public Map<String, float[]> asMap() {
		Map<String, float[]> copy = new LinkedHashMap<>();
		this.maxima.forEach((tensor, values) -> copy.put(tensor, values.clone()));
		return copy;
	}

	public boolean isEmpty() {
		return this.maxima.isEmpty();
	}

	@Override
	public boolean equals(Object other) {
		if (!(other instanceof ActivationRanges ranges) || !ranges.maxima.keySet().equals(this.maxima.keySet())) {
			return false;
		}
		return this.maxima.entrySet()
			.stream()
			.allMatch((entry) -> Arrays.equals(entry.getValue(), ranges.maxima.get(entry.getKey())));
	}

	@Override
	public int hashCode() {
		int hash = 0;
		for (Map.Entry<String, float[]> entry : this.maxima.entrySet()) {
			hash += entry.getKey().hashCode() ^ Arrays.hashCode(entry.getValue());
		}
		return hash;
	}

	@Override
	public String toString() {
		return "ActivationRanges" + this.maxima.keySet();
	}

}
