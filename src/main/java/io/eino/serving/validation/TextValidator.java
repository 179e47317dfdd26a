package io.eino.serving.validation;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.eino.serving.error.Rule;

/**
 * The text layers of input validation for one model, in this order: instances per
 * request, well-formed Unicode (no unpaired surrogate), NFC normalisation, text length,
 * control characters, deny patterns, then the semantic checks (empty, no letters, one
 * character flooding). Token-level rules (token budget, unknown tokens) follow at
 * tokenization.
 *
 * <p>
 * Deny patterns are RE2 expressions: matching takes time linear in the text, so no
 * pattern can backtrack catastrophically, and the constructs that could (backreferences,
 * lookaround) are refused at start-up. Immutable and thread safe.
 */
public final class TextValidator {

	private final ValidationProperties limits;

	private final List<Pattern> denyPatterns;

	/**
	 * @throws IllegalArgumentException if a deny pattern is not a valid RE2 expression
	 */
	public TextValidator(ValidationProperties limits) {
		this.limits = limits;
		this.denyPatterns = limits.denyPatterns().stream().map(TextValidator::compile).toList();
	}

	private static Pattern compile(String expression) {
		try {
			return Pattern.compile(expression);
		}
		catch (PatternSyntaxException ex) {
			throw new IllegalArgumentException("Deny pattern '" + expression
					+ "' is not a valid RE2 expression (backreferences and lookaround are not supported): "
					+ ex.getMessage(), ex);
		}
	}

	public ValidationProperties limits() {
		return this.limits;
	}

	/**
	 * Checks a request's texts.
	 * @return the texts, NFC-normalised, in order
	 * @throws InvalidInputException naming the first rule a text breaks, and which text
	 */
	public List<String> validate(List<String> texts) {
		if (texts.size() > this.limits.maxInstances()) {
			throw new InvalidInputException(Rule.INSTANCES, "The request holds " + texts.size() + " texts; at most "
					+ this.limits.maxInstances() + " are allowed (max-instances)");
		}
		List<String> normalized = new ArrayList<>(texts.size());
		for (int i = 0; i < texts.size(); i++) {
			normalized.add(validate(i, texts.get(i)));
		}
		return normalized;
	}

	/** Checks the number of rows of a raw-tensor request. */
	public void checkRows(long rows) {
		if (rows > this.limits.maxInstances()) {
			throw new InvalidInputException(Rule.INSTANCES, "The request holds " + rows + " rows; at most "
					+ this.limits.maxInstances() + " are allowed (max-instances)");
		}
	}

	private String validate(int index, String raw) {
		int unpaired = unpairedSurrogate(raw);
		if (unpaired >= 0) {
			throw new InvalidInputException(Rule.UNPAIRED_SURROGATE,
					"Text #" + index + " holds an unpaired UTF-16 surrogate at index " + unpaired);
		}
		String text = Normalizer.normalize(raw, Normalizer.Form.NFC);
		int characters = text.codePointCount(0, text.length());
		if (characters > this.limits.maxCharacters()) {
			throw new InvalidInputException(Rule.TEXT_LENGTH, "Text #" + index + " has " + characters
					+ " characters; at most " + this.limits.maxCharacters() + " are allowed (max-characters)");
		}
		int control = controlCharacter(text);
		if (control >= 0) {
			throw new InvalidInputException(Rule.CONTROL_CHARACTER, String.format(
					"Text #%d holds the control character U+%04X; only tab and newline are allowed", index, control));
		}
		for (int i = 0; i < this.denyPatterns.size(); i++) {
			if (this.denyPatterns.get(i).matcher(text).find()) {
				throw new InvalidInputException(Rule.DENIED_PATTERN, "Text #" + index + " matches deny pattern #" + i
						+ " '" + this.denyPatterns.get(i).pattern() + "'");
			}
		}
		checkSemantics(index, text);
		return text;
	}

	private void checkSemantics(int index, String text) {
		if (text.isBlank()) {
			throw new InvalidInputException(Rule.EMPTY_TEXT, "Text #" + index + " is empty or only whitespace");
		}
		if (this.limits.requireLetters() && text.codePoints().noneMatch(Character::isLetter)) {
			throw new InvalidInputException(Rule.NO_LETTERS,
					"Text #" + index + " has no letters in any script (require-letters)");
		}
		int run = longestRun(text);
		if (run > this.limits.maxRepeatedCharacters()) {
			throw new InvalidInputException(Rule.CHARACTER_FLOOD,
					"Text #" + index + " repeats one character " + run + " times in a row; at most "
							+ this.limits.maxRepeatedCharacters() + " are allowed (max-repeated-characters)");
		}
	}

	/** The index of the first unpaired surrogate, or -1. */
	static int unpairedSurrogate(String text) {
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (Character.isHighSurrogate(c)) {
				if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
					i++;
					continue;
				}
				return i;
			}
			if (Character.isLowSurrogate(c)) {
				return i;
			}
		}
		return -1;
	}

	/** The first control character other than tab and newline, or -1. */
	static int controlCharacter(String text) {
		return text.codePoints()
			.filter((c) -> Character.getType(c) == Character.CONTROL && c != '\t' && c != '\n')
			.findFirst()
			.orElse(-1);
	}

	/** The longest run of one non-whitespace character, in characters. */
	static int longestRun(String text) {
		int longest = 0;
		int run = 0;
		int previous = -1;
		for (int i = 0; i < text.length();) {
			int c = text.codePointAt(i);
			i += Character.charCount(c);
			if (Character.isWhitespace(c)) {
				run = 0;
				previous = -1;
				continue;
			}
			run = (c == previous) ? run + 1 : 1;
			previous = c;
			longest = Math.max(longest, run);
		}
		return longest;
	}

}
