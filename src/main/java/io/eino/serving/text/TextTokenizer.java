package io.eino.serving.text;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.eino.serving.error.Rule;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.validation.InvalidInputException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

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

	/** The vocabulary's unknown token ({@code [UNK]}); null when the model has none. */
	private final String unknownToken;

	private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxTokens, Overflow overflow, String unknownToken) {
		this.tokenizer = tokenizer;
		this.maxTokens = maxTokens;
		this.overflow = overflow;
		this.unknownToken = unknownToken;
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
			return new TextTokenizer(tokenizer, maxTokens, overflow, unknownToken(tokenizerJson));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot read tokenizer " + tokenizerJson, ex);
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("Cannot read tokenizer " + tokenizerJson + ": " + ex.getMessage(), ex);
		}
	}

	private static String unknownToken(Path tokenizerJson) {
		JsonNode unknown = JsonMapper.shared().readTree(tokenizerJson.toFile()).path("model").path("unk_token");
		return unknown.isString() ? unknown.stringValue() : null;
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
	 * @param maxUnknownTokenRatio the largest share of a text's tokens (special tokens
	 * aside) that may be the unknown token; 1 for no limit
	 * @throws InvalidInputException (token-budget) if a text overflows the window and
	 * overflow is {@link Overflow#REJECT}; (unknown-tokens) if too many of a text's
	 * tokens are unknown
	 */
	public List<TokenSequence> encodeEach(List<String> texts, double maxUnknownTokenRatio) {
		Encoding[] encodings = this.tokenizer.batchEncode(texts);
		List<TokenSequence> sequences = new ArrayList<>(encodings.length);
		for (int i = 0; i < encodings.length; i++) {
			Encoding encoding = encodings[i];
			boolean truncated = encoding.exceedMaxLength();
			if (truncated && this.overflow == Overflow.REJECT) {
				throw tooLong(i);
			}
			double unknown = unknownRatio(encoding);
			if (unknown > maxUnknownTokenRatio) {
				throw new InvalidInputException(Rule.UNKNOWN_TOKENS, String.format(Locale.ROOT,
						"%.0f%% of text #%d's tokens are unknown to the model's vocabulary; at most %.0f%% may be"
								+ " (max-unknown-token-ratio)",
						unknown * 100, i, maxUnknownTokenRatio * 100));
			}
			sequences.add(new TokenSequence(encoding.getIds(), encoding.getAttentionMask(), encoding.getTypeIds(),
					truncated));
		}
		return sequences;
	}

	private double unknownRatio(Encoding encoding) {
		if (this.unknownToken == null) {
			return 0;
		}
		String[] tokens = encoding.getTokens();
		long[] special = encoding.getSpecialTokenMask();
		int words = 0;
		int unknown = 0;
		for (int i = 0; i < tokens.length; i++) {
			if (special[i] == 0) {
				words++;
				if (this.unknownToken.equals(tokens[i])) {
					unknown++;
				}
			}
		}
		return (words == 0) ? 0 : (double) unknown / words;
	}

	private InvalidInputException tooLong(int index) {
		return new InvalidInputException(Rule.TOKEN_BUDGET, "Text #" + index + " is longer than the model's window of "
				+ this.maxTokens + " tokens (max-tokens, overflow=reject)");
	}

	/**
	 * Tokenizes {@code texts} into one padded batch.
	 * @throws InvalidInputException (token-budget) if a text overflows the window and
	 * overflow is {@link Overflow#REJECT}
	 */
	public TokenizedBatch encode(List<String> texts) {
		Encoding[] encodings = this.tokenizer.batchEncode(texts);
		int longest = 0;
		boolean[] truncated = new boolean[encodings.length];
		for (int i = 0; i < encodings.length; i++) {
			truncated[i] = encodings[i].exceedMaxLength();
			if (truncated[i] && this.overflow == Overflow.REJECT) {
				throw tooLong(i);
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
