package io.eino.serving.runtime;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;

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

	/**
	 * Runs the signature's frozen fp32 graph (grappler, no reduced precision) on
	 * {@code batches} and records each int8 product input's per-channel maxima.
	 * @param settings the int8 candidate's settings (its thread layout is kept)
	 * @param shared the frozen graphs the startup step shares; the fp32 one is made here
	 * when not yet
	 * @throws ModelRuntimeException if TensorFlow fails
	 */
	public static ActivationRanges measure(Path directory, SessionSettings settings, FrozenGraphs shared,
			String signature, List<Map<String, HostTensor>> batches) {
		SessionSettings fp32 = settings.withOptimization(settings.optimization(), false);
		try (SavedModelRunner runner = SavedModelRunner.load(directory, fp32, shared)) {
			FrozenGraphs.Frozen frozen = shared.get(fp32);
			if (frozen == null) {
				throw new ModelRuntimeException("int8 needs a graph that can be frozen, and " + runner.rewrites());
			}
			List<String> inputs = Int8Rewrite.productInputs(frozen.graph());
			Map<String, float[]> maxima = new LinkedHashMap<>();
			for (Map<String, HostTensor> batch : batches) {
				record(runner, signature, batch, inputs, maxima);
			}
			return new ActivationRanges(maxima);
		}
	}

	private static void record(SavedModelRunner runner, String signature, Map<String, HostTensor> batch,
			List<String> inputs, Map<String, float[]> maxima) {
		Map<String, Tensor> fed = new LinkedHashMap<>();
		try {
			batch.forEach((name, value) -> fed.put(name, TensorConversions.toTensor(value)));
			Session.Runner run = runner.fed(signature, fed);
			inputs.forEach(run::fetch);
			try (Result result = run.run()) {
				for (int i = 0; i < inputs.size(); i++) {
					HostTensor.Float32 values = (HostTensor.Float32) TensorConversions.fromTensor(result.get(i),
							inputs.get(i));
					long[] shape = values.shape();
					int channels = (int) shape[shape.length - 1];
					float[] channelMaxima = maxima.computeIfAbsent(inputs.get(i), (name) -> new float[channels]);
					float[] elements = values.values();
					for (int e = 0; e < elements.length; e++) {
						channelMaxima[e % channels] = Math.max(channelMaxima[e % channels], Math.abs(elements[e]));
					}
				}
			}
		}
		catch (TensorFlowException ex) {
			throw new ModelRuntimeException(
					"TensorFlow failed calibrating " + runner.directory() + ": " + ex.getMessage(), ex);
		}
		finally {
			fed.values().forEach(Tensor::close);
		}
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
