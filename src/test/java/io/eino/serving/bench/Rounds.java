package io.eino.serving.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's interleaved rounds (docs/benchmark.md): each round measures every eino
 * configuration and then ONNX Runtime, so that a slow minute of the machine hits both
 * sides; results are the medians over rounds, with their spread, and the ratios are taken
 * within each round before their median is.
 */
final class Rounds {

	private Rounds() {
	}

	/**
	 * Per configuration and client count, the round whose goodput (successful requests
	 * per second) is the median: a measured point, not an average of points.
	 */
	static Map<String, List<Wrk.Result>> medianServices(List<Map<String, List<Wrk.Result>>> rounds) {
		Map<String, List<Wrk.Result>> medians = new LinkedHashMap<>();
		rounds.get(0).forEach((name, points) -> {
			List<Wrk.Result> median = new ArrayList<>();
			for (int point = 0; point < points.size(); point++) {
				int at = point;
				median.add(median(rounds.stream().map((round) -> round.get(name).get(at)).toList(),
						Comparator.comparingDouble(Wrk.Result::goodput)));
			}
			medians.put(name, median);
		});
		return medians;
	}

	/** Per ONNX Runtime setting, the round whose throughput is the median. */
	static List<OnnxRuntimeBaseline.Result> medianOnnx(List<List<OnnxRuntimeBaseline.Result>> rounds) {
		List<OnnxRuntimeBaseline.Result> medians = new ArrayList<>();
		for (int setting = 0; setting < rounds.get(0).size(); setting++) {
			int at = setting;
			medians.add(median(rounds.stream().map((round) -> round.get(at)).toList(),
					Comparator.comparingDouble(OnnxRuntimeBaseline.Result::throughput)));
		}
		return medians;
	}

	/**
	 * eino tuned at {@code clients} against each ONNX Runtime setting, round by round:
	 * each round's throughputs, eino's p99 and the ratios, then the medians and the
	 * spread.
	 */
	static Map<String, Object> ratios(List<Map<String, List<Wrk.Result>>> services,
			List<List<OnnxRuntimeBaseline.Result>> onnx, int clients) {
		List<Map<String, Object>> perRound = new ArrayList<>();
		Map<String, double[]> series = new LinkedHashMap<>();
		for (int round = 0; round < services.size(); round++) {
			int at = round;
			Wrk.Result point = services.get(round)
				.get("eino tuned")
				.stream()
				.filter((result) -> result.concurrency() == clients)
				.findFirst()
				.orElseThrow();
			double eino = point.goodput();
			Map<String, Object> row = new LinkedHashMap<>();
			row.put("eino_tuned", eino);
			series.computeIfAbsent("eino_tuned", (key) -> new double[services.size()])[round] = eino;
			// The latency target is a median over rounds too, not the
			// p99 of the median-throughput round alone.
			row.put("eino_tuned_p99_ms", point.p99Millis());
			series.computeIfAbsent("eino_tuned_p99_ms", (key) -> new double[services.size()])[round] = point
				.p99Millis();
			Map<String, Double> others = new LinkedHashMap<>();
			for (OnnxRuntimeBaseline.Result baseline : onnx.get(round)) {
				others.put(baseline.key(), baseline.throughput());
			}
			others.put("onnxruntime_best",
					onnx.get(round)
						.stream()
						.filter(OnnxRuntimeBaseline.Result::onnxRuntime)
						.mapToDouble(OnnxRuntimeBaseline.Result::throughput)
						.max()
						.orElse(Double.NaN));
			others.put("langchain4j_best",
					onnx.get(round)
						.stream()
						.filter((baseline) -> !baseline.onnxRuntime())
						.mapToDouble(OnnxRuntimeBaseline.Result::throughput)
						.max()
						.orElse(Double.NaN));
			List<Wrk.Result> stepOff = services.get(round).get("eino startup step off");
			if (stepOff != null) {
				others.put("eino_startup_step_off",
						stepOff.stream()
							.filter((result) -> result.concurrency() == clients)
							.findFirst()
							.orElseThrow()
							.goodput());
			}
			others.forEach((key, throughput) -> {
				row.put(key, throughput);
				row.put("ratio_over_" + key, eino / throughput);
				series.computeIfAbsent(key, (name) -> new double[services.size()])[at] = throughput;
				series.computeIfAbsent("ratio_over_" + key, (name) -> new double[services.size()])[at] = eino
						/ throughput;
			});
			perRound.add(row);
		}
		Map<String, Object> summary = new LinkedHashMap<>();
		series.forEach((name, values) -> {
			double[] sorted = values.clone();
			Arrays.sort(sorted);
			summary.put(name,
					Map.of("median", sorted[sorted.length / 2], "min", sorted[0], "max", sorted[sorted.length - 1]));
		});
		Map<String, Object> ratios = new LinkedHashMap<>();
		ratios.put("clients", clients);
		ratios.put("rounds", perRound);
		ratios.put("medians", summary);
		return ratios;
	}

	/** The rounds as a Markdown table, then the medians with their spread. */
	@SuppressWarnings("unchecked")
	static String table(Map<String, Object> ratios) {
		List<Map<String, Object>> rounds = (List<Map<String, Object>>) ratios.get("rounds");
		List<String> columns = new ArrayList<>(rounds.get(0).keySet());
		StringBuilder table = new StringBuilder("| round | ")
			.append(String.join(" | ", columns.stream().map((column) -> column.replace('_', ' ')).toList()))
			.append(" |\n|---|")
			.append("---|".repeat(columns.size()))
			.append('\n');
		for (int round = 0; round < rounds.size(); round++) {
			table.append("| ").append(round + 1);
			for (String column : columns) {
				double value = ((Number) rounds.get(round).get(column)).doubleValue();
				table.append(String.format(Locale.ROOT, column.startsWith("ratio") ? " | %.3f" : " | %.1f", value));
			}
			table.append(" |\n");
		}
		table.append("| median (min–max)");
		Map<String, Map<String, Double>> medians = (Map<String, Map<String, Double>>) ratios.get("medians");
		for (String column : columns) {
			Map<String, Double> spread = medians.get(column);
			String format = column.startsWith("ratio") ? " | **%.3f** (%.3f–%.3f)" : " | **%.1f** (%.1f–%.1f)";
			table
				.append(String.format(Locale.ROOT, format, spread.get("median"), spread.get("min"), spread.get("max")));
		}
		return table.append(" |\n").toString();
	}

	private static <T> T median(List<T> values, Comparator<T> order) {
		List<T> sorted = new ArrayList<>(values);
		sorted.sort(order);
		return sorted.get(sorted.size() / 2);
	}

}
