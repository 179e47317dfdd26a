package io.eino.serving;

import static org.assertj.core.api.Assertions.assertThat;

/** What the tests of hostile and careless clients require of the service's log. */
public final class LogLines {

	private LogLines() {
	}

	/** No line logged at ERROR, and no stack trace. */
	public static void assertNoErrorOrStackTrace(String log) {
		assertThat(log.lines().filter((line) -> line.contains(" ERROR ")).toList()).isEmpty();
		assertThat(log).doesNotContain("\tat ");
	}

}
