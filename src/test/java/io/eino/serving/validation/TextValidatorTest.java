package io.eino.serving.validation;

import java.text.Normalizer;
import java.util.List;

import io.eino.serving.error.ErrorTier;
import io.eino.serving.error.Rule;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Properties of the text validation layers, over generated texts: what is accepted is
 * NFC, within the limits, and free of what the rules refuse; what breaks a rule is
 * refused with that rule.
 */
class TextValidatorTest {

	private static final ValidationProperties DEFAULTS = new ValidationProperties(DataSize.ofMegabytes(1), 64, 1024,
			List.of("[<>]"), true, 32, 0.5);

	private final TextValidator validator = new TextValidator(DEFAULTS);

	@Property
	void acceptedTextsAreNormalisedAndWithinEveryLimit(@ForAll @StringLength(max = 1100) String text) {
		List<String> accepted;
		try {
			accepted = this.validator.validate(List.of(text));
		}
		catch (InvalidInputException ex) {
			assertThat(ex.rule().tier()).isEqualTo(ErrorTier.INPUT);
			return;
		}
		String valid = accepted.get(0);
		assertThat(Normalizer.isNormalized(valid, Normalizer.Form.NFC)).isTrue();
		assertThat(valid.codePointCount(0, valid.length())).isLessThanOrEqualTo(1024);
		assertThat(valid).doesNotContain("<", ">");
		assertThat(TextValidator.unpairedSurrogate(valid)).isEqualTo(-1);
		assertThat(TextValidator.controlCharacter(valid)).isEqualTo(-1);
		assertThat(valid.isBlank()).isFalse();
		assertThat(valid.codePoints().anyMatch(Character::isLetter)).isTrue();
		assertThat(TextValidator.longestRun(valid)).isLessThanOrEqualTo(32);
	}

	@Property
	void plainWordsWithinTheLimitAreAcceptedUnchanged(
			@ForAll("sentences") @StringLength(min = 1, max = 1024) String text) {
		Assume.that(!text.isBlank() && text.length() <= 1024);
		assertThat(this.validator.validate(List.of(text))).containsExactly(text);
	}

	@Provide
	Arbitrary<String> sentences() {
		return Arbitraries.strings()
			.withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüß .,")
			.ofMinLength(1)
			.ofMaxLength(1024)
			.filter((text) -> text.chars().anyMatch(Character::isLetter) && TextValidator.longestRun(text) <= 32);
	}

	@Property
	void anyTextLongerThanTheLimitIsRefusedForItsLength(@ForAll @IntRange(min = 1025, max = 3000) int length) {
		String text = "ab ".repeat(length / 3 + 1).substring(0, length);
		assertThat(rule(text)).isEqualTo("text-length");
	}

	@Property
	void anyDeniedCharacterAnywhereIsRefused(@ForAll("sentences") String text, @ForAll @IntRange(max = 1000) int at,
			@ForAll boolean open) {
		Assume.that(text.length() < 1024);
		int index = Math.min(at, text.length());
		String hostile = text.substring(0, index) + (open ? "<" : ">") + text.substring(index);
		assertThat(rule(hostile)).isIn("denied-pattern", "no-letters", "empty-text");
	}

	@Property
	void anyControlCharacterButTabAndNewlineIsRefused(@ForAll @IntRange(max = 0x9f) int code) {
		Assume.that(Character.getType(code) == Character.CONTROL && code != '\t' && code != '\n');
		assertThat(rule("good " + (char) code + " film")).isEqualTo("control-character");
	}

	@Property
	void aRunLongerThanTheLimitIsAFlood(@ForAll @IntRange(min = 33, max = 500) int run,
			@ForAll @IntRange(min = 'a', max = 'z') int letter) {
		assertThat(rule("ok " + Character.toString(letter).repeat(run) + " ok")).isEqualTo("character-flood");
	}

	@Property
	void moreTextsThanAllowedAreRefusedAsAWhole(@ForAll @IntRange(min = 65, max = 500) int count) {
		InvalidInputException refused = catchThrowableOfType(InvalidInputException.class,
				() -> this.validator.validate(java.util.Collections.nCopies(count, "fine")));
		assertThat(refused.rule()).isEqualTo(Rule.INSTANCES);
		assertThat(refused.rule().status()).isEqualTo(400);
	}

	@Example
	void normalisesToNfcBeforeCountingCharacters() {
		String decomposed = "cafe\u0301 ".repeat(200);
		assertThat(decomposed.length()).isEqualTo(1200);
		assertThat(this.validator.validate(List.of(decomposed)).get(0)).isEqualTo("caf\u00e9 ".repeat(200));
	}

	@Example
	void namesTheTextThatBrokeARule() {
		assertThatThrownBy(() -> this.validator.validate(List.of("fine", "also fine", "<b>")))
			.hasMessageContaining("Text #2")
			.hasMessageContaining("deny pattern");
	}

	@Example
	void refusesDenyPatternsThatCouldBacktrack() {
		ValidationProperties backreference = InputPolicies.merge(DEFAULTS,
				new ValidationOverrides(null, null, null, List.of("(a+)\\1"), null, null, null));
		assertThatThrownBy(() -> new TextValidator(backreference)).isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("(a+)\\1");
	}

	@Example
	void matchesAClassicCatastrophicPatternInLinearTime() {
		ValidationProperties nested = InputPolicies.merge(DEFAULTS,
				new ValidationOverrides(null, null, 100_000, List.of("^(a+)+$"), null, 100_000, null));
		// With backtracking this input takes longer than the age of the universe.
		String text = "a".repeat(50_000) + "!";
		assertThat(catchThrowableOfType(InvalidInputException.class,
				() -> new TextValidator(nested).validate(List.of(text))))
			.isNull();
	}

	@Example
	void perModelOverridesReplaceOnlyWhatTheyName() {
		ValidationProperties strict = InputPolicies.merge(DEFAULTS,
				new ValidationOverrides(null, 2, 10, null, null, null, null));
		assertThat(strict.maxInstances()).isEqualTo(2);
		assertThat(strict.maxCharacters()).isEqualTo(10);
		assertThat(strict.denyPatterns()).containsExactly("[<>]");
		assertThat(new TextValidator(strict).validate(List.of("short"))).containsExactly("short");
		assertThatThrownBy(() -> new TextValidator(strict).validate(List.of("much too long")))
			.hasMessageContaining("at most 10");
	}

	private String rule(String text) {
		InvalidInputException refused = catchThrowableOfType(InvalidInputException.class,
				() -> this.validator.validate(List.of(text)));
		return (refused != null) ? refused.rule().slug() : null;
	}

}
