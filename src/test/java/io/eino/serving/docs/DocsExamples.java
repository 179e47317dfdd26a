package io.eino.serving.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code bash} examples of the README and {@code docs/}: each fenced block is a list
 * of commands (a line ending in {@code \} continues on the next), each optionally
 * followed by the line {@code # <output>} it prints, where {@code …} stands for anything.
 * A block whose fence says {@code no-test (why)} is not run, and must say why.
 */
final class DocsExamples {

	private static final Pattern FENCE = Pattern.compile("^```(bash|sh|shell)\\b(.*)$");

	private DocsExamples() {
	}

	/**
	 * One command of an example.
	 *
	 * @param file where it is written
	 * @param line its first line there
	 * @param command the shell command
	 * @param output the output it documents, or null
	 */
	record Command(Path file, int line, String command, String output) {

		@Override
		public String toString() {
			return this.file + ":" + this.line + ": " + this.command;
		}

	}

	/**
	 * A fenced block.
	 *
	 * @param file where it is written
	 * @param line its fence's line
	 * @param notTested why the service tests do not run it (not run at all, or run by
	 * QuickStartIT), or null when they do
	 * @param commands its commands
	 */
	record Block(Path file, int line, String notTested, List<Command> commands) {
	}

	/** Every bash block of README.md and docs/*.md. */
	static List<Block> blocks() {
		List<Path> files = new ArrayList<>();
		files.add(Path.of("README.md"));
		try (Stream<Path> docs = Files.list(Path.of("docs"))) {
			docs.filter((file) -> file.toString().endsWith(".md")).sorted().forEach(files::add);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		List<Block> blocks = new ArrayList<>();
		for (Path file : files) {
			blocks.addAll(blocks(file));
		}
		return blocks;
	}

	private static List<Block> blocks(Path file) {
		List<String> lines;
		try {
			lines = Files.readAllLines(file);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		List<Block> blocks = new ArrayList<>();
		for (int i = 0; i < lines.size(); i++) {
			var fence = FENCE.matcher(lines.get(i));
			if (!fence.matches()) {
				continue;
			}
			String attributes = fence.group(2).trim();
			String notTested = null;
			if (attributes.startsWith("quick-start")) {
				// Run by QuickStartIT: the build is the one verify made, the jar is
				// started.
				notTested = attributes.substring("quick-start".length()).trim();
			}
			else if (attributes.startsWith("no-test")) {
				notTested = attributes.substring("no-test".length()).trim();
				assertThat(notTested).as("%s:%d: a no-test block says why, in parentheses", file, i + 1)
					.matches("\\(.+\\)");
			}
			int start = i;
			List<Command> commands = new ArrayList<>();
			StringBuilder command = null;
			int commandLine = 0;
			for (i = i + 1; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
				String line = lines.get(i).strip();
				if (command != null && command.toString().endsWith("\\")) {
					command.setLength(command.length() - 1);
					command.append(' ').append(line);
					continue;
				}
				if (line.startsWith("# ") && command != null) {
					commands.add(new Command(file, commandLine, command.toString(), line.substring(2)));
					command = null;
					continue;
				}
				if (command != null) {
					commands.add(new Command(file, commandLine, command.toString(), null));
					command = null;
				}
				if (!line.isEmpty() && !line.startsWith("#")) {
					command = new StringBuilder(line);
					commandLine = i + 1;
				}
			}
			if (command != null) {
				commands.add(new Command(file, commandLine, command.toString(), null));
			}
			blocks.add(new Block(file, start + 1, notTested, List.copyOf(commands)));
		}
		return blocks;
	}

	/**
	 * Runs a command with bash in {@code directory}, with {@code environment} added, and
	 * checks that it succeeds and prints what its example says.
	 */
	static String run(Command command, String shellCommand, Path directory, Map<String, String> environment) {
		ProcessBuilder process = new ProcessBuilder("bash", "-c", "set -euo pipefail; " + shellCommand)
			.directory(directory.toFile())
			.redirectErrorStream(true);
		process.environment().putAll(environment);
		try {
			Process started = process.start();
			String output = new String(started.getInputStream().readAllBytes()).strip();
			assertThat(started.waitFor(120, TimeUnit.SECONDS)).as("%s finishes", command).isTrue();
			assertThat(started.exitValue()).as("%s exits with 0; it printed:%n%s", command, output).isZero();
			if (command.output() != null) {
				assertThat(output).as("%s prints what its example says", command).matches(pattern(command.output()));
			}
			return output;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** The documented output as a pattern: {@code …} is anything, the rest literal. */
	static Pattern pattern(String documented) {
		StringBuilder regex = new StringBuilder("(?s)");
		for (String part : documented.split("…", -1)) {
			if (regex.length() > 4) {
				regex.append(".*?");
			}
			regex.append(Pattern.quote(part));
		}
		return Pattern.compile(regex.toString());
	}

}
