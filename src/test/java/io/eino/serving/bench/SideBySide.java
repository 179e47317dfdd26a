package io.eino.serving.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.sentiment.DefaultModelInstaller;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two builds of the service side by side (bench/compare.sh): both jars run at once in
 * their default configuration on the same repository, and wrk drives them in interleaved
 * rounds (a, b, a, b …) at one concurrency, so that the machine's minute-to-minute speed
 * changes reach both alike. Reports each round's goodput (successful requests per second;
 * refusals are counted apart) and p99, the medians, and the median of the per-round
 * goodput ratios b ÷ a, in {@code target/bench/compare.{md,json}}.
 */
public final class SideBySide {

	private static final int PORT_A = 18280;

	private static final int PORT_B = 18380;

	private SideBySide() {
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> options = new LinkedHashMap<>();
		for (String arg : args) {
			String[] pair = arg.replaceFirst("^--", "").split("=", 2);
			options.put(pair[0], (pair.length > 1) ? pair[1] : "true");
		}
		Path jarA = Path.of(options.get("a"));
		Path jarB = Path.of(options.get("b"));
		String nameA = options.getOrDefault("name-a", "a");
		String nameB = options.getOrDefault("name-b", "b");
		int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
		int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "64"));
		Duration duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "15")));
		Path out = Path.of("target", "bench");
		Path repository = out.resolve("repository").toAbsolutePath();
		Files.createDirectories(out);
		new DefaultModelInstaller().installIfMissing(repository);
		JsonMapper json = JsonMapper.builder().build();
		List<String> bodies = new ArrayList<>();
		for (String sentence : Files.readAllLines(Path.of("bench", "corpus.txt"))) {
			if (!sentence.isBlank()) {
				bodies.add(json.writeValueAsString(Map.of("instances", List.of(sentence))));
			}
		}
		Path bodyFile = out.resolve("bodies.txt");
		Files.write(bodyFile, bodies);
		Path script = Path.of("bench", "wrk-corpus.lua");
		List<String> properties = List.of("eino.repository.path=" + repository);
		List<Wrk.Result> resultsA = new ArrayList<>();
		List<Wrk.Result> resultsB = new ArrayList<>();
		StringBuilder md = new StringBuilder();
		md.append("| round | ").append(nameA).append(" ok/s | ").append(nameB).append(" ok/s | ratio | ");
		md.append(nameA).append(" p99 ms | ").append(nameB).append(" p99 ms | ").append(nameA).append(" errors | ");
		md.append(nameB).append(" errors |\n|---|---|---|---|---|---|---|---|\n");
		try (ServiceProcess a = ServiceProcess.start(jarA, out.resolve("compare-" + nameA + ".log"), PORT_A,
				properties);
				ServiceProcess b = ServiceProcess.start(jarB, out.resolve("compare-" + nameB + ".log"), PORT_B,
						properties)) {
			String urlA = "http://127.0.0.1:" + a.port() + "/v1/models/sentiment:predict";
			String urlB = "http://127.0.0.1:" + b.port() + "/v1/models/sentiment:predict";
			Wrk.run(urlA, script, bodyFile, concurrency, Duration.ofSeconds(5));
			Wrk.run(urlB, script, bodyFile, concurrency, Duration.ofSeconds(5));
			for (int round = 1; round <= rounds; round++) {
				// Alternate which goes first, so that neither always follows the other.
				boolean aFirst = round % 2 == 1;
				Wrk.Result first = Wrk.run(aFirst ? urlA : urlB, script, bodyFile, concurrency, duration);
				Wrk.Result second = Wrk.run(aFirst ? urlB : urlA, script, bodyFile, concurrency, duration);
				Wrk.Result ra = aFirst ? first : second;
				Wrk.Result rb = aFirst ? second : first;
				resultsA.add(ra);
				resultsB.add(rb);
				String row = String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.3f | %.1f | %.1f | %d | %d |%n", round,
						goodput(ra), goodput(rb), goodput(rb) / goodput(ra), ra.p99Millis(), rb.p99Millis(),
						ra.errors(), rb.errors());
				System.out.print(row);
				md.append(row);
			}
			md.append("\n").append(nameA).append(" errors: ").append(a.get("/actuator/metrics/eino.errors"));
			md.append("\n")
				.append(nameB)
				.append(" errors: ")
				.append(b.get("/actuator/metrics/eino.errors"))
				.append('\n');
		}
		double[] ratios = new double[rounds];
		for (int i = 0; i < rounds; i++) {
			ratios[i] = goodput(resultsB.get(i)) / goodput(resultsA.get(i));
		}
		String summary = String.format(Locale.ROOT,
				"%nMedians over %d rounds of %d s at %d connections: %s %.1f ok/s (p99 %.1f ms), %s %.1f ok/s "
						+ "(p99 %.1f ms); median per-round goodput ratio %s ÷ %s = %.3f; errors %d / %d%n",
				rounds, duration.toSeconds(), concurrency, nameA,
				median(resultsA.stream().mapToDouble(SideBySide::goodput).toArray()),
				median(resultsA.stream().mapToDouble(Wrk.Result::p99Millis).toArray()), nameB,
				median(resultsB.stream().mapToDouble(SideBySide::goodput).toArray()),
				median(resultsB.stream().mapToDouble(Wrk.Result::p99Millis).toArray()), nameB, nameA, median(ratios),
				resultsA.stream().mapToLong(Wrk.Result::errors).sum(),
				resultsB.stream().mapToLong(Wrk.Result::errors).sum());
		System.out.print(summary);
		md.append(summary);
		Files.writeString(out.resolve("compare.md"), md.toString());
		Map<String, Object> report = new LinkedHashMap<>();
		report.put(nameA, resultsA);
		report.put(nameB, resultsB);
		report.put("ratios", ratios);
		Files.writeString(out.resolve("compare.json"),
				json.writerWithDefaultPrettyPrinter().writeValueAsString(report));
	}

	/** Successful requests per second: wrk counts refusals (non-2xx) as requests too. */
	private static double goodput(Wrk.Result result) {
		return (result.requests() - result.errors()) / result.seconds();
	}

	private static double median(double[] values) {
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int n = sorted.length;
		return (n % 2 == 1) ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	}

}
