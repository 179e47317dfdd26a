package io.eino.serving.sentiment;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The VADER sentiment lexicon shipped in the jar: 7,517 tokens with the mean of ten human
 * ratings from -4 to +4 (provenance and licences in {@code datasets/vader/README.md}).
 */
public final class VaderLexicon {

	static final String RESOURCE = "/datasets/vader/vader_lexicon.txt";

	private VaderLexicon() {
	}

	/**
	 * A lexicon entry.
	 *
	 * @param token the word, emoticon or abbreviation
	 * @param meanRating the mean of ten human ratings, -4 to +4
	 */
	public record Entry(String token, double meanRating) {
	}

	public static List<Entry> load() {
		try (InputStream in = VaderLexicon.class.getResourceAsStream(RESOURCE)) {
			if (in == null) {
				throw new IllegalStateException("The VADER lexicon " + RESOURCE + " is missing from the classpath");
			}
			BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
			List<Entry> entries = new ArrayList<>();
			for (String line = reader.readLine(); line != null; line = reader.readLine()) {
				String[] columns = line.split("\t");
				if (columns.length >= 2) {
					entries.add(new Entry(columns[0], Double.parseDouble(columns[1])));
				}
			}
			return entries;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
