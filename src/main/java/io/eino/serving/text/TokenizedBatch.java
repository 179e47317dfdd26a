package io.eino.serving.text;

import java.util.Map;

import io.eino.serving.runtime.HostTensor;

/**
 * Texts turned into the three int64 {@code [batch, sequence]} token tensors of a
 * BERT-family signature, padded to the longest text of the batch.
 *
 * @param inputIds token ids, 0 ([PAD]) after each text's end
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param tokenTypeIds segment ids (0 for single texts)
 * @param tokenCounts real tokens per text, special tokens included
 * @param truncated whether each text was cut to fit the window
 */
public record TokenizedBatch(HostTensor.Int64 inputIds, HostTensor.Int64 attentionMask, HostTensor.Int64 tokenTypeIds,
		int[] tokenCounts, boolean[] truncated) {

	public int size() {
		return this.tokenCounts.length;
	}

	public int sequenceLength() {
		return (int) this.inputIds.shape()[1];
	}

	public Map<String, HostTensor> asInputs() {
		return Map.of("input_ids", this.inputIds, "attention_mask", this.attentionMask, "token_type_ids",
				this.tokenTypeIds);
	}

}
