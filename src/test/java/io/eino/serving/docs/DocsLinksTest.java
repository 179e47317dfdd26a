package io.eino.serving.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every relative link of the README and {@code docs/} leads somewhere: the file exists,
 * and an anchor names a heading of it (GitHub's slugs). Moving a section cannot leave a
 * link behind.
 */
class DocsLinksTest {

	private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

	private static final Pattern HEADING = Pattern.compile("(?m)^#+ (.*)$");

	@Test
	void everyRelativeLinkLeadsToAFileAndHeading() throws IOException {
		List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
		try (Stream<Path> docs = Files.list(Path.of("docs"))) {
			docs.filter((file) -> file.toString().endsWith(".md")).sorted().forEach(files::add);
		}
		List<String> broken = new ArrayList<>();
		for (Path file : files) {
			Matcher links = LINK.matcher(prose(file));
			while (links.find()) {
				String link = links.group(1);
				if (link.startsWith("http://") || link.startsWith("https://")) {
					continue;
				}
				int hash = link.indexOf('#');
				String path = (hash < 0) ? link : link.substring(0, hash);
				Path target = path.isEmpty() ? file : file.resolveSibling(path).normalize();
				if (!Files.exists(target)) {
					broken.add(file + ": " + link + " (no such file)");
				}
				else if (hash >= 0 && target.toString().endsWith(".md")
						&& !anchors(target).contains(link.substring(hash + 1))) {
					broken.add(file + ": " + link + " (no such heading)");
				}
			}
		}
		assertThat(broken).isEmpty();
	}

	private static String prose(Path file) throws IOException {
		return Files.readString(file).replaceAll("(?s)```.*?```", "");
	}

	private static Set<String> anchors(Path file) throws IOException {
		Set<String> anchors = new HashSet<>();
		Matcher headings = HEADING.matcher(prose(file));
		while (headings.find()) {
			anchors.add(headings.group(1)
				.strip()
				.toLowerCase(Locale.ROOT)
				.replaceAll("[^\\p{L}\\p{N}_\\- ]", "")
				.replace(' ', '-'));
		}
		return anchors;
	}

}
