package io.eino.serving.plugin;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PiiMaskingPluginTest {

	private final PiiMaskingPlugin all = PiiMaskingPlugin.of(List.of("email", "phone", "card"));

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			write to jane.doe+films@example.co.uk today  | write to [email] today
			call +44 20 7946 0958 now                    | call [phone] now
			call (555) 123-4567 please                   | call [phone] please
			card 4111 1111 1111 1111 was charged         | card [card] was charged
			card 4111-1111-1111-1111 was charged         | card [card] was charged
			""")
	void masksPersonalData(String text, String masked) {
		assertThat(this.all.mask(text)).isEqualTo(masked);
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			the film runs 120 minutes
			released in 2019 and seen by 3000 people
			order 4111 1111 1111 1112 is not a card
			""")
	void leavesOrdinaryNumbersAlone(String text) {
		assertThat(this.all.mask(text)).isEqualTo(text);
	}

	@Test
	void masksOnlyTheConfiguredKinds() {
		PiiMaskingPlugin emails = PiiMaskingPlugin.of(List.of("email"));
		assertThat(emails.mask("jane@example.com, +1 555 123 4567")).isEqualTo("[email], +1 555 123 4567");
	}

	@Test
	void rewritesThePluginInput() {
		PluginInput input = new PluginInput(List.of("fine", "mail me at a@b.io"));
		this.all.before(new RequestContext("sentiment", null, "addr:127.0.0.1", "t"), input).block();
		assertThat(input.texts()).containsExactly("fine", "mail me at [email]");
	}

	@Test
	void luhnChecksCardNumbers() {
		assertThat(PiiMaskingPlugin.luhn("4111111111111111")).isTrue();
		assertThat(PiiMaskingPlugin.luhn("4111111111111112")).isFalse();
	}

	@Test
	void refusesUnknownKindsByName() {
		assertThatThrownBy(() -> PiiMaskingPlugin.of(List.of("passport"))).hasMessageContaining("passport");
	}

}
