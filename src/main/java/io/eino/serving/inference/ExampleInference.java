package io.eino.serving.inference;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.eino.serving.error.Rule;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.validation.InvalidInputException;
import org.tensorflow.example.Example;
import org.tensorflow.example.Feature;
import org.tensorflow.example.Features;
import reactor.core.publisher.Mono;

/**
 * TF Serving's Classify and Regress, for both protocols (docs/protocols.md, "Classify and
 * regress"): requests of {@code tf.Example}s. A text classifier takes each example's text
 * feature (the bytes feature {@value #TEXT_FEATURE}, or its only bytes feature) through
 * its text pipeline and answers every label with its probability. Any other model runs a
 * signature of method {@value #CLASSIFY_METHOD} or {@value #REGRESS_METHOD} on the
 * serialized examples, as TF Serving does, reading {@code classes}/{@code scores} or
 * {@code outputs}.
 */
public final class ExampleInference {

	public static final String CLASSIFY_METHOD = "tensorflow/serving/classify";

	public static final String REGRESS_METHOD = "tensorflow/serving/regress";

	/** The feature a text model reads from an example that has several bytes features. */
	public static final String TEXT_FEATURE = "text";

	private final InferenceService inference;

	public ExampleInference(InferenceService inference) {
		this.inference = inference;
	}

	/**
	 * A class and its score.
	 *
	 * @param label the class ("" when the signature answers scores only)
	 * @param score its score (0 when the signature answers classes only)
	 */
	public record LabelScore(String label, float score) {
	}

	/**
	 * The classes of each example.
	 *
	 * @param version the version that answered
	 * @param signature the signature that ran
	 * @param classes one list per example, in request order
	 */
	public record Classified(long version, String signature, List<List<LabelScore>> classes) {
	}

	/**
	 * One value per example.
	 *
	 * @param version the version that answered
	 * @param signature the signature that ran
	 * @param values in request order
	 */
	public record Regressed(long version, String signature, float[] values) {
	}

	/**
	 * @param signature the signature named by the request, or null for the default
	 */
	public Mono<Classified> classify(ResolvedRequest request, String signature, List<Example> examples,
			RequestOptions options) {
		return Mono.defer(() -> {
			requireExamples(examples);
			if (request.takesText()) {
				ModelDescriptor descriptor = request.classifier("classify", signature);
				List<String> texts = examples.stream().map(ExampleInference::text).toList();
				return this.inference.predictText(request, texts, options)
					.map((result) -> new Classified(result.version(), descriptor.signature(),
							result.predictions().stream().map(ExampleInference::classes).toList()));
			}
			String key = (signature != null) ? signature : SignatureSpec.DEFAULT_KEY;
			SignatureSpec spec = request.exampleSignature(key, CLASSIFY_METHOD);
			return this.inference.predictTensors(request, spec, serialized(spec, examples), List.of(), options)
				.map((result) -> new Classified(result.version(), key,
						classes(result.outputs().get("classes"), result.outputs().get("scores"), examples.size())));
		});
	}

	/**
	 * @param signature the signature named by the request, or null for the default
	 */
	public Mono<Regressed> regress(ResolvedRequest request, String signature, List<Example> examples,
			RequestOptions options) {
		return Mono.defer(() -> {
			requireExamples(examples);
			if (request.takesText()) {
				request.refuseText("regress");
			}
			String key = (signature != null) ? signature : SignatureSpec.DEFAULT_KEY;
			SignatureSpec spec = request.exampleSignature(key, REGRESS_METHOD);
			return this.inference.predictTensors(request, spec, serialized(spec, examples), List.of("outputs"), options)
				.map((result) -> new Regressed(result.version(), key, values(result.outputs().get("outputs"))));
		});
	}

	/** Each example with the context's features added (the example's own win). */
	public static List<Example> withContext(List<Example> examples, Example context) {
		return examples.stream().map((example) -> {
			Features.Builder features = Features.newBuilder(context.getFeatures());
			features.putAllFeature(example.getFeatures().getFeatureMap());
			return Example.newBuilder().setFeatures(features).build();
		}).toList();
	}

	private static void requireExamples(List<Example> examples) {
		if (examples.isEmpty()) {
			throw new InvalidInputException(Rule.EMPTY_INSTANCES, "The request holds no examples");
		}
	}

	private static Map<String, HostTensor> serialized(SignatureSpec spec, List<Example> examples) {
		byte[][] values = examples.stream().map(Example::toByteArray).toArray(byte[][]::new);
		return Map.of(spec.inputs().get(0).name(), new HostTensor.Bytes(new long[] { values.length }, values));
	}

	/**
	 * The text of an example: its {@value #TEXT_FEATURE} feature, or its only bytes one.
	 */
	static String text(Example example) {
		Map<String, Feature> features = example.getFeatures().getFeatureMap();
		Feature feature = features.get(TEXT_FEATURE);
		if (feature == null) {
			List<Feature> bytes = features.values().stream().filter(Feature::hasBytesList).toList();
			if (bytes.size() != 1) {
				throw new InvalidInputException(Rule.INSTANCE_TYPE, "Each example for a text model needs a '"
						+ TEXT_FEATURE + "' feature, or exactly one bytes feature, holding its text");
			}
			feature = bytes.get(0);
		}
		if (!feature.hasBytesList() || feature.getBytesList().getValueCount() != 1) {
			throw new InvalidInputException(Rule.INSTANCE_TYPE,
					"An example's text feature must hold exactly one bytes value");
		}
		return feature.getBytesList().getValue(0).toString(StandardCharsets.UTF_8);
	}

	private static List<LabelScore> classes(TextPrediction prediction) {
		List<LabelScore> classes = new ArrayList<>();
		((TextPrediction.Classification) prediction).scores()
			.forEach((label, score) -> classes.add(new LabelScore(label, score.floatValue())));
		return classes;
	}

	private static List<List<LabelScore>> classes(HostTensor labels, HostTensor scores, int rows) {
		if (labels == null && scores == null) {
			throw new InvalidInputException(Rule.UNKNOWN_OUTPUT,
					"The classify signature answers neither 'classes' nor 'scores'");
		}
		HostTensor shaped = (scores != null) ? scores : labels;
		int columns = (shaped.shape().length == 2) ? (int) shaped.shape()[1] : 1;
		List<List<LabelScore>> results = new ArrayList<>(rows);
		for (int row = 0; row < rows; row++) {
			List<LabelScore> classes = new ArrayList<>(columns);
			for (int column = 0; column < columns; column++) {
				int index = row * columns + column;
				String label = (labels != null)
						? new String(((HostTensor.Bytes) labels).values()[index], StandardCharsets.UTF_8) : "";
				float score = (scores != null) ? ((Number) scores.element(index)).floatValue() : 0;
				classes.add(new LabelScore(label, score));
			}
			results.add(classes);
		}
		return results;
	}

	private static float[] values(HostTensor outputs) {
		float[] values = new float[Math.toIntExact(outputs.size())];
		for (int i = 0; i < values.length; i++) {
			values[i] = ((Number) outputs.element(i)).floatValue();
		}
		return values;
	}

}
