package io.eino.serving.operations;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a PromQL expression into the parts a real Prometheus can be asked for data: the
 * operands of top-level {@code and} / {@code or} / {@code unless}, and of those the sides
 * of a top-level comparison that are not plain numbers. An alert's expression returns
 * nothing while it does not fire; its signal (the left side) must still return data, or
 * the rule refers to a series that does not exist. {@code absent(x)} returns data only
 * when {@code x} returns none: its signal is {@code x}. Tracks brackets and quotes only:
 * the expressions are the project's own.
 */
final class PromQl {

	private static final List<String> SETS = List.of(" and ", " or ", " unless ");

	private static final List<String> COMPARISONS = List.of(" >= ", " <= ", " == ", " != ", " > ", " < ");

	private PromQl() {
	}

	/** The parts of {@code expression} that must each return data. */
	static List<String> signals(String expression) {
		List<String> signals = new ArrayList<>();
		for (String operand : splitTopLevel(expression.strip(), SETS)) {
			List<String> sides = splitTopLevel(operand, COMPARISONS);
			for (String side : sides) {
				String part = strip(side);
				if (part.startsWith("absent(") && closing(part, "absent".length()) == part.length() - 1) {
					part = strip(part.substring("absent(".length(), part.length() - 1));
				}
				if (!part.matches("[-+0-9.e* ()]+")) {
					signals.add(part);
				}
			}
		}
		return signals;
	}

	private static String strip(String part) {
		String stripped = part.strip();
		while (stripped.startsWith("(") && closing(stripped, 0) == stripped.length() - 1) {
			stripped = stripped.substring(1, stripped.length() - 1).strip();
		}
		return stripped;
	}

	private static int closing(String text, int open) {
		int depth = 0;
		for (int i = open; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == '(') {
				depth++;
			}
			else if (c == ')' && --depth == 0) {
				return i;
			}
		}
		return -1;
	}

	/** Splits at the first of {@code operators} found outside brackets and quotes. */
	static List<String> splitTopLevel(String expression, List<String> operators) {
		List<String> parts = new ArrayList<>();
		int depth = 0;
		boolean quoted = false;
		int start = 0;
		for (int i = 0; i < expression.length(); i++) {
			char c = expression.charAt(i);
			if (c == '"') {
				quoted = !quoted;
			}
			else if (!quoted && (c == '(' || c == '[' || c == '{')) {
				depth++;
			}
			else if (!quoted && (c == ')' || c == ']' || c == '}')) {
				depth--;
			}
			else if (!quoted && depth == 0) {
				for (String operator : operators) {
					if (expression.startsWith(operator, i)) {
						parts.add(expression.substring(start, i));
						start = i + operator.length();
						i = start - 1;
						break;
					}
				}
			}
		}
		parts.add(expression.substring(start));
		return parts;
	}

}
