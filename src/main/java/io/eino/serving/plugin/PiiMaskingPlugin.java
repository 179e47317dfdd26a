package io.eino.serving.plugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import reactor.core.publisher.Mono;

/**
 * Masks personal data in texts before they reach the model: e-mail addresses become
 * {@code [email]}, payment-card numbers (13 to 19 digits passing the Luhn check)
 * {@code [card]}, phone numbers (8 to 15 digits, optionally with a leading + and
 * separators) {@code [phone]}. Runs first.
 *
 * <p>
 * Hand-written: no maintained Java library does this small, fixed job. The expressions
 * have bounded repetition and run on texts already limited in length.
 */
public final class PiiMaskingPlugin implements InferencePlugin {

	/** What can be masked. */
	public enum Kind {

		EMAIL, PHONE, CARD

	}

	private static final Pattern EMAIL = Pattern
		.compile("[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){0,8}\\.[A-Za-z]{2,24}");

	private static final Pattern CARD = Pattern
		.compile("(?<![\\w+])(?<!\\d[ -])\\d(?:[ -]?\\d){12,18}(?![\\w]|[ -]\\d)");

	private static final Pattern PHONE = Pattern
		.compile("(?<![\\w+])(?<!\\d[ ().-]{1,2})\\+?\\(?\\d(?:[ ().-]{0,2}\\d){7,14}(?![\\w]|[ ().-]{1,2}\\d)");

	private final Set<Kind> kinds;

	public PiiMaskingPlugin(Set<Kind> kinds) {
		this.kinds = Set.copyOf(kinds);
	}

	/** The kinds named in configuration ({@code email}, {@code phone}, {@code card}). */
	public static PiiMaskingPlugin of(List<String> kinds) {
		List<Kind> parsed = new ArrayList<>();
		for (String kind : kinds) {
			try {
				parsed.add(Kind.valueOf(kind.trim().toUpperCase(Locale.ROOT)));
			}
			catch (IllegalArgumentException ex) {
				throw new IllegalArgumentException("Unknown kind of personal data '" + kind
						+ "' in eino.plugins.pii-masking.kinds; known: email, phone, card", ex);
			}
		}
		return new PiiMaskingPlugin(Set.copyOf(parsed));
	}

	@Override
	public int order() {
		return Integer.MIN_VALUE;
	}

	@Override
	public Mono<Void> before(RequestContext context, PluginInput input) {
		return Mono.fromRunnable(() -> {
			for (int i = 0; i < input.texts().size(); i++) {
				String masked = mask(input.texts().get(i));
				if (!masked.equals(input.texts().get(i))) {
					input.replace(i, masked);
				}
			}
		});
	}

	/** The text with what this plugin masks masked. */
	public String mask(String text) {
		String masked = text;
		if (this.kinds.contains(Kind.EMAIL)) {
			masked = EMAIL.matcher(masked).replaceAll("[email]");
		}
		if (this.kinds.contains(Kind.CARD)) {
			masked = replaceCards(masked);
		}
		if (this.kinds.contains(Kind.PHONE)) {
			masked = PHONE.matcher(masked).replaceAll("[phone]");
		}
		return masked;
	}

	private static String replaceCards(String text) {
		Matcher matcher = CARD.matcher(text);
		StringBuilder masked = new StringBuilder();
		while (matcher.find()) {
			String digits = matcher.group().replaceAll("[ -]", "");
			matcher.appendReplacement(masked, luhn(digits) ? "[card]" : Matcher.quoteReplacement(matcher.group()));
		}
		matcher.appendTail(masked);
		return masked.toString();
	}

	static boolean luhn(String digits) {
		int sum = 0;
		boolean twice = false;
		for (int i = digits.length() - 1; i >= 0; i--) {
			int digit = digits.charAt(i) - '0';
			if (twice) {
				digit *= 2;
				if (digit > 9) {
					digit -= 9;
				}
			}
			sum += digit;
			twice = !twice;
		}
		return sum % 10 == 0;
	}

}
