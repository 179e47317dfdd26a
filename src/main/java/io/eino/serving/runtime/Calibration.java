package io.eino.serving.runtime;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.graph.ActivationRanges;
import io.eino.serving.graph.Int8Rewrite;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;

/**
 * Measures the {@link ActivationRanges} that int8 smooths its products' inputs with: the
 * frozen fp32 graph run on calibration texts, each product input fetched.
 */
public final class Calibration {

	private Calibration() {
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

}
