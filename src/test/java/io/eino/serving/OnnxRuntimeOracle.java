package io.eino.serving;

import java.nio.LongBuffer;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.eino.serving.text.TokenizedBatch;

/**
 * ONNX Runtime on a BERT-family ONNX file, computing what the importer's graph computes:
 * the parity test's oracle and the benchmark's baseline.
 */
public final class OnnxRuntimeOracle {

	private OnnxRuntimeOracle() {
	}

	/** The encoder's {@code last_hidden_state} for a padded batch. */
	public static float[][][] hiddenStates(OrtEnvironment environment, OrtSession session, TokenizedBatch batch)
			throws Exception {
		long[] shape = batch.inputIds().shape();
		try (OnnxTensor ids = OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.inputIds().values()), shape);
				OnnxTensor mask = OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.attentionMask().values()),
						shape);
				OnnxTensor types = OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.tokenTypeIds().values()),
						shape);
				OrtSession.Result result = session
					.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
			return (float[][][]) result.get(0).getValue();
		}
	}

	/**
	 * sentence-transformers' mean pooling over the real tokens and L2 normalisation, in
	 * double precision.
	 * @param offset where this row's mask starts in {@code mask}
	 */
	public static double[] meanPoolAndNormalise(float[][] hidden, long[] mask, int offset) {
		double[] sum = new double[hidden[0].length];
		double count = 0;
		for (int t = 0; t < hidden.length; t++) {
			if (mask[offset + t] == 1) {
				count++;
				for (int d = 0; d < sum.length; d++) {
					sum[d] += hidden[t][d];
				}
			}
		}
		double norm = 0;
		for (int d = 0; d < sum.length; d++) {
			sum[d] /= Math.max(count, 1e-9);
			norm += sum[d] * sum[d];
		}
		norm = Math.max(Math.sqrt(norm), 1e-12);
		for (int d = 0; d < sum.length; d++) {
			sum[d] /= norm;
		}
		return sum;
	}

}
