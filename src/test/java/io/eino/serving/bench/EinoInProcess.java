package io.eino.serving.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import io.eino.serving.model.loading.StoredPlans;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.RuntimeLayout;
import io.eino.serving.runtime.RuntimeProperties;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.runtime.TensorSpec;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;

/**
 * The served model's own TensorFlow session in-process, with no HTTP, no scheduler and no
 * JSON: batches of 32 corpus texts tokenized and run one after another on the graph the
 * service serves (its thread layout on this machine and the graph and precision its
 * startup step chose, read from the plan it stored), as ONNX Runtime's batch-32 baseline
 * is run. What eino's serving path could reach at most on this machine, measured in the
 * same rounds (docs/benchmark.md).
 */
final class EinoInProcess {

	static final int BATCH = 32;

	private EinoInProcess() {
	}

	/**
	 * @param plan the startup plan the default configuration's start chose (a copy: the
	 * step-off configuration's start stores its own beside the version)
	 */
	static OnnxRuntimeBaseline.Result run(List<String> corpus, Duration duration, Path versionDirectory, Path plan,
			Path work) throws Exception {
		// The properties' defaults (all 0: derived), as the service binds them.
		SessionSettings layout = RuntimeLayout
			.of(new RuntimeProperties(0, 0, 0, GraphOptimization.DEFAULT, Precision.AUTO,
					new RuntimeProperties.Gpu(true, 0, ""), null))
			.sessionSettings();
		// What the service's startup step chose, from the plan it stored with the
		// version, read as the loader reads it.
		SessionSettings settings = StoredPlans.settings(plan, layout);
		try (TextTokenizer tokenizer = TextTokenizer.load(DefaultModel.extractTokenizer(work), DefaultModel.MAX_TOKENS,
				Overflow.TRUNCATE); SavedModelRunner runner = SavedModelRunner.load(versionDirectory, settings)) {
			List<String> outputs = runner.signatures()
				.get("serving_default")
				.outputs()
				.stream()
				.map(TensorSpec::name)
				.toList();
			OnnxRuntimeBaseline.Call call = (texts) -> {
				Map<String, HostTensor> answer = runner.run("serving_default", tokenizer.encode(texts).asInputs(),
						outputs);
				if (answer.size() != outputs.size()) {
					throw new IllegalStateException("the model answered " + answer.keySet() + ", not " + outputs);
				}
			};
			String name = "eino session in-process, batch " + BATCH + " (no HTTP)";
			OnnxRuntimeBaseline.measureFor(name, corpus, BATCH, Duration.ofSeconds(3), call);
			return OnnxRuntimeBaseline.measureFor(name, corpus, BATCH, duration, call);
		}
	}

}
