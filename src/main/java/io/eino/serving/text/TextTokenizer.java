package io.eino.serving.text;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.TokenSequence;

/**
 * A model's tokenizer: Hugging Face's own {@code tokenizers} library (through DJL's
 * binding) on the model's {@code tokenizer.json}, so ids match Hugging Face exactly.
 * Special tokens are added; padding is done here, per batch, to the longest text.
 *
 * <p>
 * Thread safe (the native tokenizer is); {@link #close()} frees it.
 */
public final class TextTokenizer implements AutoCloseable {

	private final HuggingFaceTokenizer tokenizer;

	private final int maxTokens;

	private final Overflow overflow;

	private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxTokens, Overflow overflow) {
		this.tokenizer = tokenizer;
		this.maxTokens = maxTokens;
		this.overflow = overflow;
	}

	public static TextTokenizer load(Path tokenizerJson, int maxTokens, Overflow overflow) {
		try {
			HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
				.optTokenizerPath(tokenizerJson)
				.optAddSpecialTokens(true)
				.optMaxLength(maxTokens)
				.optTruncation(true)
				.optPadding(false)
				.build();
			return new TextTokenizer(tokenizer, maxTokens, overflow);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot read tokenizer " + tokenizerJson, ex);
		}
	}

	public int maxTokens() {
		return this.maxTokens;
	}

	public Overflow overflow() {
		return this.overflow;
	}

	/** The tokens of one text, as the tokenizer splits it (for inspection and tests). */
	public List<String> tokens(String text) {
		return List.of(this.tokenizer.encode(text).getTokens());
	}

	/**
	 * Tokenizes each text on its own, unpadded: the batch scheduler pads rows to the
	 * length of the batch they join.
	 * @throws TextTooLongException if a text overflows the window and overflow is
	 * {@link Overflow#REJECT}
	 */
	public List<TokenSequence> encodeEach(List<String> texts) {
		Encoding[] encodings = this.tokenizer.batchEncode(texts);
		List<TokenSequence> sequences = new ArrayList<>(encodings.length);
		for (int i = 0; i < encodings.length; i++) {
			Encoding encoding = encodings[i];
			boolean truncated = encoding.exceedMaxLength();
			if (truncated && this.overflow == Overflow.REJECT) {
				throw new TextTooLongException(i, this.maxTokens);
			}
			sequences.add(new TokenSequence(encoding.getIds(), encoding.getAttentionMask(), encoding.getTypeIds(),
					truncated));
		}
		return sequences;
	}

	/**
	 * Tokenizes {@code texts} into one padded batch.
	 * @throws TextTooLongException if a text overflows the window and overflow is
	 * {@link Overflow#REJECT}
	 */
	public TokenizedBatch encode(List<String> texts) {
		Encoding[] encodings = this.tokenizer.batchEncode(texts);
		int longest = 0;
		boolean[] truncated = new boolean[encodings.length];
		for (int i = 0; i < encodings.length; i++) {
			truncated[i] = encodings[i].exceedMaxLength();
			if (truncated[i] && this.overflow == Overflow.REJECT) {
				throw new TextTooLongException(i, this.maxTokens);
			}
			longest = Math.max(longest, encodings[i].getIds().length);
		}
		int batch = encodings.length;
		long[] ids = new long[batch * longest];
		long[] mask = new long[batch * longest];
		long[] types = new long[batch * longest];
		int[] counts = new int[batch];
		for (int i = 0; i < batch; i++) {
			Encoding encoding = encodings[i];
			counts[i] = encoding.getIds().length;
			System.arraycopy(encoding.getIds(), 0, ids, i * longest, counts[i]);
			System.arraycopy(encoding.getAttentionMask(), 0, mask, i * longest, counts[i]);
			System.arraycopy(encoding.getTypeIds(), 0, types, i * longest, counts[i]);
		}
		long[] shape = { batch, longest };
		return new TokenizedBatch(new HostTensor.Int64(shape, ids), new HostTensor.Int64(shape, mask),
				new HostTensor.Int64(shape, types), counts, truncated);
	}

	@Override
	public void close() {
		this.tokenizer.close();
	}

}
