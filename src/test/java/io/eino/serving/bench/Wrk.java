package io.eino.serving.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;

/**
 * The external load generator: wrk (Debian's package) with {@code bench/wrk-corpus.lua},
 * which sends one corpus sentence per request, cycling, and prints its summary on one
 * line.
 */
final class Wrk {

	private Wrk() {
	}

	/**
	 * One load point.
	 *
	 * @param concurrency connections held open
	 * @param requests completed requests
	 * @param errors non-2xx answers, connect errors and timeouts
	 * @param seconds the measured duration
	 * @param p50Millis median latency
	 * @param p95Millis 95th percentile
	 * @param p99Millis 99th percentile
	 */
	record Result(int concurrency, long requests, long errors, double seconds, double p50Millis, double p95Millis,
			double p99Millis) {

		double throughput() {
			return this.requests / this.seconds;
		}

		/**
		 * Successful requests per second: wrk counts refusals (non-2xx) as requests too.
		 */
		double goodput() {
			return (this.requests - this.errors) / this.seconds;
		}

	}

	/**
	 * Writes the request bodies {@code bench/wrk-corpus.lua} sends: one
	 * {@code {"instances": [sentence]}} per sentence of {@code corpus}, one per line.
	 * @return the file, under {@code out}
	 */
	static Path writeBodies(List<String> corpus, Path out) throws IOException {
		JsonMapper json = JsonMapper.builder().build();
		List<String> lines = new ArrayList<>();
		for (String sentence : corpus) {
			lines.add(json.writeValueAsString(Map.of("instances", List.of(sentence))));
		}
		Path bodies = out.resolve("bodies.txt");
		Files.write(bodies, lines);
		return bodies;
	}

	/**
	 * The non-blank lines of a corpus file ({@code bench/corpus.txt}, one request a
	 * line).
	 */
	static List<String> corpus(Path file) throws IOException {
		return Files.readAllLines(file).stream().filter((line) -> !line.isBlank()).toList();
	}

	static Result run(String url, Path script, Path bodies, int concurrency, Duration duration)
			throws IOException, InterruptedException {
		List<String> command = List.of("wrk", "-t2", "-c" + concurrency, "-d" + duration.toSeconds() + "s", "--timeout",
				"60s", "-s", script.toString(), url, "--", bodies.toString());
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (process.waitFor() != 0) {
			throw new IOException("wrk failed: " + output);
		}
		return parse(concurrency, output);
	}

	/** Reads the {@code EINO_RESULT key=value ...} line the Lua script prints. */
	static Result parse(int concurrency, String output) throws IOException {
		String line = output.lines()
			.filter((candidate) -> candidate.startsWith("EINO_RESULT "))
			.findFirst()
			.orElseThrow(() -> new IOException("No EINO_RESULT line in wrk's output: " + output));
		Map<String, Double> values = new HashMap<>();
		for (String pair : line.substring("EINO_RESULT ".length()).trim().split("\\s+")) {
			String[] parts = pair.split("=", 2);
			values.put(parts[0], Double.parseDouble(parts[1]));
		}
		long errors = Math.round(values.get("errors_status") + values.get("errors_connect")
				+ values.get("errors_timeout") + values.get("errors_read") + values.get("errors_write"));
		return new Result(concurrency, Math.round(values.get("requests")), errors, values.get("duration_us") / 1e6,
				values.get("p50_us") / 1e3, values.get("p95_us") / 1e3, values.get("p99_us") / 1e3);
	}

}
