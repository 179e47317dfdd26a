package io.eino.serving.error;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rule catalogue against the error table of docs/errors.md and the error counter: the
 * table lists exactly the rules of {@link Rule}, each with its status, and every rule is
 * counted from the start.
 */
class RuleCatalogueTest {

	private static final Pattern SLUG = Pattern.compile("`([a-z0-9-]+)`");

	private static final Pattern STATUS = Pattern.compile("\\b(\\d{3})\\b");

	@Test
	void theReadmeErrorTableListsExactlyTheCatalogueWithItsStatuses() throws IOException {
		Map<String, Integer> documented = errorTable();
		Map<String, Integer> catalogue = Arrays.stream(Rule.values())
			.collect(Collectors.toMap(Rule::slug, Rule::status, (a, b) -> a, LinkedHashMap::new));
		assertThat(documented).containsExactlyInAnyOrderEntriesOf(catalogue);
	}

	@Test
	void slugsAreUniqueAndKebabCase() {
		assertThat(Arrays.stream(Rule.values()).map(Rule::slug)).doesNotHaveDuplicates()
			.allMatch((slug) -> slug.matches("[a-z0-9]+(-[a-z0-9]+)*"));
	}

	@Test
	void everyRuleIsCountedAtZeroFromTheStartWithItsTier() {
		SimpleMeterRegistry meters = new SimpleMeterRegistry();
		new ErrorMetrics(meters);
		for (Rule rule : Rule.values()) {
			Counter counter = meters.get("eino.errors").tag("rule", rule.slug()).counter();
			assertThat(counter.getId().getTag("tier")).isEqualTo(rule.tier().name().toLowerCase());
			assertThat(counter.count()).isZero();
		}
		assertThat(meters.get("eino.errors").counters()).hasSize(Rule.values().length);
	}

	@Test
	void anUnexpectedFailureIsAnInternalErrorAndAServingExceptionKeepsItsRule() {
		assertThat(Failure.of(new IllegalStateException("boom")).rule()).isEqualTo(Rule.INTERNAL_ERROR);
		assertThat(Failure.of(new IllegalStateException("boom")).detail()).doesNotContain("boom");
		Failure known = Failure.of(new ServingException(Rule.QUEUE_FULL, "full") {
		});
		assertThat(known.rule()).isEqualTo(Rule.QUEUE_FULL);
		assertThat(known.status()).isEqualTo(503);
		assertThat(known.tier()).isEqualTo(ErrorTier.CAPACITY);
		assertThat(known.detail()).isEqualTo("full");
	}

	/** Each rule of the table's first column with the status of its row. */
	private static Map<String, Integer> errorTable() throws IOException {
		List<String> lines = Files.readAllLines(Path.of("docs", "errors.md"));
		int start = lines.indexOf("## Problems (HTTP)");
		assertThat(start).as("the problems table of docs/errors.md").isNotNegative();
		Map<String, Integer> rules = new LinkedHashMap<>();
		boolean inTable = false;
		for (String line : lines.subList(start + 1, lines.size())) {
			if (line.startsWith("| rule |")) {
				inTable = true;
				continue;
			}
			if (inTable && !line.startsWith("|")) {
				break;
			}
			if (!inTable || line.startsWith("|---")) {
				continue;
			}
			String[] cells = line.split("\\|");
			List<String> slugs = SLUG.matcher(cells[1]).results().map((match) -> match.group(1)).toList();
			List<Integer> statuses = statuses(cells[2]);
			assertThat(statuses.size()).as(line).isIn(1, slugs.size());
			for (int i = 0; i < slugs.size(); i++) {
				Integer previous = rules.put(slugs.get(i), statuses.get((statuses.size() == 1) ? 0 : i));
				assertThat(previous).as("%s is listed once", slugs.get(i)).isNull();
			}
		}
		return rules;
	}

	/** The leading statuses of a status cell: "503 + `Retry-After: 1`" is [503]. */
	private static List<Integer> statuses(String cell) {
		String head = cell.split("\\+")[0];
		Matcher matcher = STATUS.matcher(head);
		return matcher.results().map((match) -> Integer.parseInt(match.group(1))).toList();
	}

}
