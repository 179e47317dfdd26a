package io.eino.serving.text;

import java.nio.file.Path;
import java.util.List;

import io.eino.serving.error.Rule;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.validation.InvalidInputException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The default model's tokenizer behaves as BERT's uncased WordPiece tokenizer does, with
 * the ids of its published vocabulary.
 */
class TextTokenizerTest {

	@TempDir
	static Path work;

	private static Path tokenizerFile;

	private static TextTokenizer truncating;

	@BeforeAll
	static void load() throws Exception {
		tokenizerFile = DefaultModel.extractTokenizer(work);
		truncating = TextTokenizer.load(tokenizerFile, 256, Overflow.TRUNCATE);
	}

	@AfterAll
	static void close() {
		truncating.close();
	}

	@Test
	void addsSpecialTokensWithBertUncasedIds() {
		TokenizedBatch batch = truncating.encode(List.of("Hello world"));
		assertThat(batch.inputIds().values()).containsExactly(101, 7592, 2088, 102);
		assertThat(batch.attentionMask().values()).containsExactly(1, 1, 1, 1);
		assertThat(batch.tokenTypeIds().values()).containsExactly(0, 0, 0, 0);
	}

	@Test
	void lowercasesStripsAccentsAndSplitsPunctuation() {
		assertThat(truncating.tokens("Café, GREAT!")).containsExactly("[CLS]", "cafe", ",", "great", "!", "[SEP]");
	}

	@Test
	void splitsUnknownWordsIntoWordPieces() {
		List<String> tokens = truncating.tokens("tokenization");
		assertThat(tokens).containsExactly("[CLS]", "token", "##ization", "[SEP]");
	}

	@Test
	void padsABatchToItsLongestText() {
		TokenizedBatch batch = truncating.encode(List.of("good", "a much longer sentence here"));
		assertThat(batch.sequenceLength()).isEqualTo(7);
		assertThat(batch.tokenCounts()).containsExactly(3, 7);
		long[] firstRowMask = java.util.Arrays.copyOfRange(batch.attentionMask().values(), 0, 7);
		assertThat(firstRowMask).containsExactly(1, 1, 1, 0, 0, 0, 0);
		long[] firstRowIds = java.util.Arrays.copyOfRange(batch.inputIds().values(), 0, 7);
		assertThat(firstRowIds).endsWith(0, 0, 0, 0);
	}

	@Test
	void truncatesLongTextsToTheWindowKeepingTheSeparator() {
		String longText = "word ".repeat(400);
		TokenizedBatch batch = truncating.encode(List.of(longText));
		assertThat(batch.sequenceLength()).isEqualTo(256);
		assertThat(batch.truncated()).containsExactly(true);
		assertThat(batch.inputIds().values()[255]).isEqualTo(102);
	}

	@Test
	void rejectsLongTextsWhenConfiguredTo() {
		try (TextTokenizer rejecting = TextTokenizer.load(tokenizerFile, 16, Overflow.REJECT)) {
			assertThat(rejecting.encode(List.of("short enough")).size()).isEqualTo(1);
			assertThatThrownBy(() -> rejecting.encode(List.of("fine", "word ".repeat(20))))
				.isInstanceOfSatisfying(InvalidInputException.class,
						(ex) -> assertThat(ex.rule()).isEqualTo(Rule.TOKEN_BUDGET))
				.hasMessageContaining("#1")
				.hasMessageContaining("16 tokens");
		}
	}

	@Test
	void measuresTheShareOfUnknownTokensWithoutTheSpecialTokens() {
		// Emoji are not in the uncased BERT vocabulary: each becomes [UNK].
		assertThat(truncating.tokens("great \uD83D\uDE00")).contains("[UNK]");
		assertThat(truncating.encodeEach(List.of("great \uD83D\uDE00"), 0.5)).hasSize(1);
		assertThatThrownBy(() -> truncating.encodeEach(List.of("fine", "a \uD83D\uDE00 \uD83D\uDE01"), 0.5))
			.isInstanceOfSatisfying(InvalidInputException.class,
					(ex) -> assertThat(ex.rule()).isEqualTo(Rule.UNKNOWN_TOKENS))
			.hasMessageContaining("67% of text #1");
	}

}
