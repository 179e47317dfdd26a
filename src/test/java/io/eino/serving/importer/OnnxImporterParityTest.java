package io.eino.serving.importer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.eino.serving.OnnxRuntimeOracle;
import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;
import io.eino.serving.text.TokenizedBatch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The imported SavedModel computes what ONNX Runtime computes on the same ONNX file: on
 * 120 varied sentences from 2 to 256 tokens, in padded batches of 8.
 */
@Tag(TestTags.TENSORFLOW)
class OnnxImporterParityTest {

	private static final double TOLERANCE = 1e-4;

	private static final int BATCH = 8;

	@TempDir
	static Path work;

	private static SavedModelRunner runner;

	private static TextTokenizer tokenizer;

	private static OrtEnvironment environment;

	private static OrtSession onnxRuntime;

	@BeforeAll
	static void importModel() throws Exception {
		Path onnx = DefaultModel.extractOnnx(work);
		ImportReport report = new OnnxImporter().importModel(onnx, work.resolve("saved"), null);
		// The 19 ONNX operator types of the export; the 13 LayerNorm and 6 GELU chains
		// are rewritten into one fused node each before translation.
		assertThat(report.fusedCounts()).containsEntry("LayerNormalization", 13).containsEntry("Gelu", 6);
		// Each layer's division of its attention scores by √d went into its query
		// weights.
		assertThat(report.fusedCounts()).containsEntry("AttentionScale", 6);
		assertThat(report.operatorCounts()).containsKeys("LayerNormalization", "Gelu")
			.doesNotContainKeys("Erf", "Pow", "Sqrt", "ReduceMean", "Div");
		// Packed tokens: each of the 6 layers' 6 weight products (query, key, value,
		// attention output, the two feed-forward ones) runs on the real tokens only.
		assertThat(report.packedProducts()).isEqualTo(36);
		runner = SavedModelRunner.load(work.resolve("saved"), SessionSettings.DEFAULT);
		tokenizer = TextTokenizer.load(DefaultModel.extractTokenizer(work), DefaultModel.MAX_TOKENS, Overflow.TRUNCATE);
		environment = OrtEnvironment.getEnvironment();
		onnxRuntime = environment.createSession(onnx.toString(), new OrtSession.SessionOptions());
	}

	@AfterAll
	static void close() throws Exception {
		onnxRuntime.close();
		tokenizer.close();
		runner.close();
	}

	@Test
	void hiddenStatesAndEmbeddingsMatchOnnxRuntime() throws Exception {
		List<String> sentences = sentences();
		assertThat(sentences).hasSizeGreaterThanOrEqualTo(100);
		double worstHidden = 0;
		double worstEmbedding = 0;
		double worstPadding = 0;
		double largestPaddingValue = 0;
		int shortest = Integer.MAX_VALUE;
		int longest = 0;
		for (int start = 0; start < sentences.size(); start += BATCH) {
			TokenizedBatch batch = tokenizer
				.encode(sentences.subList(start, Math.min(sentences.size(), start + BATCH)));
			for (int count : batch.tokenCounts()) {
				shortest = Math.min(shortest, count);
				longest = Math.max(longest, count);
			}
			Map<String, HostTensor> outputs = runner.run("serving_default", batch.asInputs(),
					List.of("last_hidden_state", "sentence_embedding"));
			float[] hidden = ((HostTensor.Float32) outputs.get("last_hidden_state")).values();
			float[] embedding = ((HostTensor.Float32) outputs.get("sentence_embedding")).values();
			float[][][] expected = OnnxRuntimeOracle.hiddenStates(environment, onnxRuntime, batch);
			long[] mask = batch.attentionMask().values();
			int index = 0;
			for (int i = 0; i < expected.length; i++) {
				for (int t = 0; t < expected[i].length; t++) {
					// Real tokens are what pooling reads; padding positions are reported
					// apart.
					boolean real = mask[i * batch.sequenceLength() + t] == 1;
					for (float value : expected[i][t]) {
						double error = Math.abs(value - hidden[index++]);
						worstHidden = Math.max(worstHidden, real ? error : 0);
						worstPadding = Math.max(worstPadding, real ? 0 : error);
						largestPaddingValue = Math.max(largestPaddingValue, real ? 0 : Math.abs(hidden[index - 1]));
					}
				}
			}
			for (int i = 0; i < batch.size(); i++) {
				double[] pooled = OnnxRuntimeOracle.meanPoolAndNormalise(expected[i], mask, i * batch.sequenceLength());
				for (int d = 0; d < pooled.length; d++) {
					worstEmbedding = Math.max(worstEmbedding, Math.abs(pooled[d] - embedding[i * pooled.length + d]));
				}
			}
		}
		System.out.printf(
				"parity over %d sentences (%d to %d tokens): last_hidden_state %.3g (padding positions %.3g), sentence_embedding %.3g%n",
				sentences.size(), shortest, longest, worstHidden, worstPadding, worstEmbedding);
		assertThat(shortest).isLessThanOrEqualTo(3);
		assertThat(longest).isEqualTo(256);
		assertThat(worstHidden).isLessThan(TOLERANCE);
		assertThat(worstEmbedding).isLessThan(TOLERANCE);
		// Padding rows come back from packing as zeros: nothing of another text in them.
		assertThat(largestPaddingValue).isZero();
	}

	@Test
	void unsupportedOperatorIsNamedWithItsNode() {
		OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder()
			.setIrVersion(7)
			.addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13))
			.setGraph(OnnxMl.GraphProto.newBuilder()
				.addNode(OnnxMl.NodeProto.newBuilder()
					.setOpType("LSTM")
					.setName("encoder/lstm_1")
					.addInput("input_ids")
					.addOutput("y")))
			.build();
		Path file = work.resolve("lstm.onnx");
		assertThatThrownBy(() -> {
			java.nio.file.Files.write(file, model.toByteArray());
			new OnnxImporter().importModel(file, work.resolve("lstm"), null);
		}).isInstanceOf(OnnxImportException.class).hasMessageContaining("LSTM").hasMessageContaining("encoder/lstm_1");
	}

	/**
	 * 100 evaluation sentences, short fragments, and 18 long texts up to past the window.
	 */
	private static List<String> sentences() {
		List<String> texts = TestModels.evaluationSet().stream().map(TestModels.LabelledText::text).toList();
		List<String> sentences = new ArrayList<>(texts.subList(0, 100));
		sentences.add("");
		sentences.add("ok");
		for (int joined = 2; joined <= 36; joined += 2) {
			sentences.add(String.join(" ", texts.subList(100, 100 + joined)));
		}
		return sentences;
	}

}
