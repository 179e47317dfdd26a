package io.eino.serving.operations;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metrics table of docs/operations.md, as the tests read it. */
public final class MetricsDocs {

	static final Path DOCS = Path.of("docs/operations.md");

	private static final Pattern ROW = Pattern.compile("(?m)^\\| `(eino_\\w+)` \\|(.*)$");

	private MetricsDocs() {
	}

	/** The series in the first column of the table. */
	public static Set<String> families() throws IOException {
		return families(false);
	}

	/** The series the table says appear only at their first event. */
	public static Set<String> appearingAtFirstEvent() throws IOException {
		return families(true);
	}

	private static Set<String> families(boolean onlyAtFirstEvent) throws IOException {
		Set<String> families = new TreeSet<>();
		Matcher row = ROW.matcher(Files.readString(DOCS));
		while (row.find()) {
			if (!onlyAtFirstEvent || row.group(2).contains("appears at the first one")) {
				families.add(row.group(1));
			}
		}
		return families;
	}

}
