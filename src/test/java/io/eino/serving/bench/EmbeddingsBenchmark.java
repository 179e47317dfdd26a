package io.eino.serving.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.databind.json.JsonMapper;

/**
 * The embeddings scenario ({@code bench/embeddings.sh}, docs/benchmark.md): the service
 * as shipped, over HTTP, {@code POST /v1/embeddings} with one text a request from wrk's
 * 64 connections, against what a Spring team would run in its own JVM instead,
 * LangChain4j's {@code AllMiniLmL6V2EmbeddingModel} and its int8
 * {@code AllMiniLmL6V2QuantizedEmbeddingModel} ({@code embedAll}, 64 texts a call), on
 * the same texts of two corpora. Each round starts the service afresh twice, in the
 * default configuration and with the token budget off ({@code max-batch-tokens=0},
 * batches bounded by count alone), so that the padding share (padded positions ÷ all
 * positions run, from the service's own counters) is measured with and without
 * token-budget batching. The order of service and baselines alternates between rounds;
 * medians and ranges are reported.
 */
public final class EmbeddingsBenchmark {

	private static final String MODEL = "all-minilm-l6-v2";

	private static final Pattern COUNTER = Pattern.compile(
			"^(eino_batch_(?:tokens|positions)_total)\\{[^}]*model=\"" + MODEL + "\"[^}]*} ([0-9.eE+]+)$",
			Pattern.MULTILINE);

	private EmbeddingsBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> options = new LinkedHashMap<>();
		for (String arg : args) {
			String[] parts = arg.replaceFirst("^--", "").split("=", 2);
			options.put(parts[0], (parts.length > 1) ? parts[1] : "true");
		}
		int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
		Duration duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "20")));
		Duration warmup = Duration.ofSeconds(Long.parseLong(options.getOrDefault("warmup", "10")));
		int clients = Integer.parseInt(options.getOrDefault("clients", "64"));
		Path jar = Path.of("target", "eino-serving.jar").toAbsolutePath();
		Path out = Path.of("target", "bench", "embeddings").toAbsolutePath();
		Path repository = out.resolve("repository");
		Files.createDirectories(out);
		Map<String, List<String>> corpora = new LinkedHashMap<>();
		corpora.put("corpus.txt", Wrk.corpus(Path.of("bench", "corpus.txt")));
		corpora.put("short-corpus.txt", Wrk.corpus(Path.of("bench", "short-corpus.txt")));
		Path script = Path.of("bench", "wrk-corpus.lua").toAbsolutePath();
		Map<String, Path> bodies = new LinkedHashMap<>();
		JsonMapper json = JsonMapper.builder().build();
		for (Map.Entry<String, List<String>> corpus : corpora.entrySet()) {
			List<String> lines = new ArrayList<>();
			for (String text : corpus.getValue()) {
				lines.add(json.writeValueAsString(Map.of("model", MODEL, "input", text)));
			}
			Path file = out.resolve("bodies-" + corpus.getKey());
			Files.write(file, lines);
			bodies.put(corpus.getKey(), file);
		}
		Map<String, Map<String, List<double[]>>> measured = new LinkedHashMap<>();
		for (int round = 1; round <= rounds; round++) {
			System.out.println("Round " + round + " of " + rounds);
			boolean serviceFirst = round % 2 == 1;
			if (!serviceFirst) {
				baselines(corpora, duration, measured);
			}
			for (String configuration : List.of("default", "count-only")) {
				List<String> properties = new ArrayList<>(List.of("eino.repository.path=" + repository));
				if (configuration.equals("count-only")) {
					properties.add("eino.batching.max-batch-tokens=0");
				}
				try (ServiceProcess service = ServiceProcess.start(jar,
						out.resolve("service-" + configuration + "-" + round + ".log"), 18480, properties)) {
					for (String corpus : corpora.keySet()) {
						String url = "http://127.0.0.1:" + service.port() + "/v1/embeddings";
						Wrk.run(url, script, bodies.get(corpus), clients, warmup);
						double[] before = counters(service);
						Wrk.Result result = Wrk.run(url, script, bodies.get(corpus), clients, duration);
						double[] after = counters(service);
						double tokens = after[0] - before[0];
						double positions = after[1] - before[1];
						double padding = (positions > 0) ? 1 - tokens / positions : Double.NaN;
						System.out.printf(Locale.ROOT,
								"  eino %s, %s: %.0f embeddings/s, p99 %.0f ms, %d errors, " + "padding %.1f %%%n",
								configuration, corpus, result.goodput(), result.p99Millis(), result.errors(),
								padding * 100);
						add(measured, corpus, "eino " + configuration,
								new double[] { result.goodput(), result.p99Millis(), padding, result.errors() });
					}
				}
			}
			if (serviceFirst) {
				baselines(corpora, duration, measured);
			}
		}
		String table = table(measured, rounds, clients, duration);
		Files.writeString(out.resolve("embeddings.md"), table);
		System.out.println(table);
	}

	private static void baselines(Map<String, List<String>> corpora, Duration duration,
			Map<String, Map<String, List<double[]>>> measured) throws Exception {
		for (Map.Entry<String, List<String>> corpus : corpora.entrySet()) {
			for (OnnxRuntimeBaseline.Result result : LangChain4jBaseline.run(corpus.getValue(), duration)) {
				System.out.printf(Locale.ROOT, "  %s, %s: %.0f embeddings/s%n", result.name(), corpus.getKey(),
						result.throughput());
				add(measured, corpus.getKey(), result.name().replace(", 64 texts a call", ""),
						new double[] { result.throughput(), Double.NaN, Double.NaN, 0 });
			}
		}
	}

	/** The model's real tokens and positions run so far. */
	private static double[] counters(ServiceProcess service) throws Exception {
		String scrape = service.get("/actuator/prometheus");
		double[] values = new double[2];
		Matcher matcher = COUNTER.matcher(scrape);
		while (matcher.find()) {
			values[matcher.group(1).contains("tokens") ? 0 : 1] += Double.parseDouble(matcher.group(2));
		}
		return values;
	}

	private static void add(Map<String, Map<String, List<double[]>>> measured, String corpus, String name,
			double[] values) {
		measured.computeIfAbsent(corpus, (key) -> new LinkedHashMap<>())
			.computeIfAbsent(name, (key) -> new ArrayList<>())
			.add(values);
	}

	private static String table(Map<String, Map<String, List<double[]>>> measured, int rounds, int clients,
			Duration duration) {
		StringBuilder text = new StringBuilder();
		text.append(String.format(Locale.ROOT,
				"Embeddings, %s: %d round(s), %d s a point, service over HTTP at %d connections (one text a "
						+ "request), LangChain4j in-process (embedAll, 64 texts a call); medians, range in "
						+ "brackets.%n%n",
				LocalDate.now(), rounds, duration.toSeconds(), clients));
		for (Map.Entry<String, Map<String, List<double[]>>> corpus : measured.entrySet()) {
			Map<String, List<double[]>> rows = corpus.getValue();
			List<double[]> fp32 = rows.get("langchain4j embedAll fp32");
			List<double[]> int8 = rows.get("langchain4j embedAll int8");
			text.append("**").append(corpus.getKey()).append("**\n\n");
			text.append("| | embeddings/s | ÷ better LangChain4j (per round) | p99 ms | padding share |\n"
					+ "|---|---|---|---|---|\n");
			for (Map.Entry<String, List<double[]>> row : rows.entrySet()) {
				List<double[]> values = row.getValue();
				// Each round's ratio to the better of that round's two LangChain4j
				// models.
				List<double[]> ratios = new ArrayList<>();
				for (int round = 0; round < values.size(); round++) {
					ratios
						.add(new double[] { values.get(round)[0] / Math.max(fp32.get(round)[0], int8.get(round)[0]) });
				}
				text.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", row.getKey(),
						range(values, 0, "%.0f", 1), range(ratios, 0, "%.2f×", 1),
						Double.isNaN(median(values, 1)) ? "" : range(values, 1, "%.0f", 1),
						Double.isNaN(median(values, 2)) ? "" : range(values, 2, "%.1f %%", 100)));
			}
			text.append('\n');
		}
		return text.toString();
	}

	private static double median(List<double[]> values, int column) {
		double[] sorted = values.stream().mapToDouble((row) -> row[column]).sorted().toArray();
		int middle = sorted.length / 2;
		return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	}

	private static String range(List<double[]> values, int column, String format, double scale) {
		double[] sorted = values.stream().mapToDouble((row) -> row[column] * scale).sorted().toArray();
		return String.format(Locale.ROOT, format, median(values, column) * scale) + " ("
				+ String.format(Locale.ROOT, format, sorted[0]) + "–"
				+ String.format(Locale.ROOT, format, sorted[sorted.length - 1]) + ")";
	}

}
