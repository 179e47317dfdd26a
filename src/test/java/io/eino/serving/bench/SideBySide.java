package io.eino.serving.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.TestModels;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two builds of the service side by side (bench/compare.sh): both jars run at once in
 * their default configuration, each on a repository of its own where it installs the
 * default model with its own importer (so that an importer change is measured too, not
 * one graph twice), and wrk drives them in interleaved rounds (a, b, a, b …) at one
 * concurrency, so that the machine's minute-to-minute speed changes reach both alike.
 * Reports each round's goodput (successful requests per second; refusals are counted
 * apart) and p99, the medians, and the median of the per-round goodput ratios b ÷ a, in
 * {@code target/bench/compare.{md,json}}.
 */
public final class SideBySide {

	private static final int PORT_A = 18280;

	private static final int PORT_B = 18380;

	private SideBySide() {
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> options = Benchmark.options(args);
		Path jarA = Path.of(options.get("a"));
		Path jarB = Path.of(options.get("b"));
		String nameA = options.getOrDefault("name-a", "a");
		String nameB = options.getOrDefault("name-b", "b");
		int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
		int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "64"));
		Duration duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "15")));
		// A fresh start reaches its steady throughput about 60 s into a flood
		// (docs/benchmark.md, "Warm-up").
		Duration warmup = Duration.ofSeconds(Long.parseLong(options.getOrDefault("warmup", "60")));
		Path out = Path.of("target", "bench");
		Files.createDirectories(out);
		JsonMapper json = JsonMapper.builder().build();
		Path bodyFile = Wrk.writeBodies(Wrk.corpus(Path.of(options.getOrDefault("corpus", "bench/corpus.txt"))), out);
		Path script = Path.of("bench", "wrk-corpus.lua");
		// Extra settings for one side ("k=v;k=v"), to compare configurations of one
		// build.
		List<String> propertiesA = withExtra(ownRepository(out, nameA), options.get("props-a"));
		List<String> propertiesB = withExtra(ownRepository(out, nameB), options.get("props-b"));
		List<Wrk.Result> resultsA = new ArrayList<>();
		List<Wrk.Result> resultsB = new ArrayList<>();
		StringBuilder md = new StringBuilder();
		md.append("| round | ").append(nameA).append(" ok/s | ").append(nameB).append(" ok/s | ratio | ");
		md.append(nameA).append(" p99 ms | ").append(nameB).append(" p99 ms | ").append(nameA).append(" errors | ");
		md.append(nameB).append(" errors |\n|---|---|---|---|---|---|---|---|\n");
		// Fresh processes every round (the default): one pair of JVMs keeps a speed
		// difference of its own (JIT decisions, placement) as large as 14 % in an A/A run
		// of one build against itself, so a ratio measured on one pair decides nothing.
		boolean fresh = Boolean.parseBoolean(options.getOrDefault("fresh", "true"));
		ServiceProcess a = null;
		ServiceProcess b = null;
		try {
			for (int round = 1; round <= rounds; round++) {
				if (a == null) {
					a = ServiceProcess.start(jarA, out.resolve("compare-" + nameA + ".log"), PORT_A, propertiesA);
					b = ServiceProcess.start(jarB, out.resolve("compare-" + nameB + ".log"), PORT_B, propertiesB);
					Wrk.run(url(a), script, bodyFile, concurrency, warmup);
					Wrk.run(url(b), script, bodyFile, concurrency, warmup);
				}
				// Alternate which goes first, so that neither always follows the other.
				boolean aFirst = round % 2 == 1;
				Wrk.Result first = Wrk.run(aFirst ? url(a) : url(b), script, bodyFile, concurrency, duration);
				Wrk.Result second = Wrk.run(aFirst ? url(b) : url(a), script, bodyFile, concurrency, duration);
				Wrk.Result ra = aFirst ? first : second;
				Wrk.Result rb = aFirst ? second : first;
				resultsA.add(ra);
				resultsB.add(rb);
				String row = String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.3f | %.1f | %.1f | %d | %d |%n", round,
						ra.goodput(), rb.goodput(), rb.goodput() / ra.goodput(), ra.p99Millis(), rb.p99Millis(),
						ra.errors(), rb.errors());
				System.out.print(row);
				md.append(row);
				if (round == rounds) {
					md.append("\n").append(nameA).append(" errors: ").append(a.get("/actuator/metrics/eino.errors"));
					md.append("\n")
						.append(nameB)
						.append(" errors: ")
						.append(b.get("/actuator/metrics/eino.errors"))
						.append('\n');
				}
				if (fresh || round == rounds) {
					a.close();
					b.close();
					a = null;
					b = null;
				}
			}
		}
		finally {
			if (a != null) {
				a.close();
			}
			if (b != null) {
				b.close();
			}
		}
		double[] ratios = new double[rounds];
		for (int i = 0; i < rounds; i++) {
			ratios[i] = resultsB.get(i).goodput() / resultsA.get(i).goodput();
		}
		String summary = String.format(Locale.ROOT,
				"%nMedians over %d rounds (fresh processes each round unless --fresh=false) of %d s at %d connections: %s %.1f ok/s (p99 %.1f ms), %s %.1f ok/s "
						+ "(p99 %.1f ms); median per-round goodput ratio %s ÷ %s = %.3f; errors %d / %d%n",
				rounds, duration.toSeconds(), concurrency, nameA,
				LoadDriver.median(resultsA.stream().mapToDouble(Wrk.Result::goodput).toArray()),
				LoadDriver.median(resultsA.stream().mapToDouble(Wrk.Result::p99Millis).toArray()), nameB,
				LoadDriver.median(resultsB.stream().mapToDouble(Wrk.Result::goodput).toArray()),
				LoadDriver.median(resultsB.stream().mapToDouble(Wrk.Result::p99Millis).toArray()), nameB, nameA,
				LoadDriver.median(ratios), resultsA.stream().mapToLong(Wrk.Result::errors).sum(),
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

	/**
	 * An empty repository for one side, into which its build installs the default model
	 * on its first start.
	 */
	private static List<String> ownRepository(Path out, String name) {
		Path repository = out.resolve("repository-" + name.replaceAll("[^A-Za-z0-9._-]", "_")).toAbsolutePath();
		TestModels.deleteRecursively(repository);
		return List.of("eino.repository.path=" + repository, "eino.repository.install-default-model=true");
	}

	private static String url(ServiceProcess service) {
		return "http://127.0.0.1:" + service.port() + "/v1/models/sentiment:predict";
	}

	private static List<String> withExtra(List<String> properties, String extra) {
		List<String> all = new ArrayList<>(properties);
		if (extra != null && !extra.isBlank()) {
			all.addAll(List.of(extra.split(";")));
		}
		return all;
	}

}
