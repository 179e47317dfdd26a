package io.eino.serving.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;
import tools.jackson.databind.JsonNode;

/**
 * The op-time breakdown as a picture: for each startup step of the service, the op time
 * of the reference batch per op type (the most costly ones), side by side, so that what
 * an optimisation removed or added shows at a glance.
 */
final class OpTimeChart {

	private static final int OP_TYPES = 12;

	/** The most costly op types taken from each step. */
	private static final int PER_STEP = 3;

	private OpTimeChart() {
	}

	/** Writes the chart; nothing when the steps carry no breakdown. */
	static void write(JsonNode steps, Path file) throws IOException {
		Map<String, Map<String, Double>> byStep = new LinkedHashMap<>();
		Set<String> ops = new LinkedHashSet<>();
		if (steps != null) {
			for (JsonNode step : steps) {
				if (!step.has("op_time")) {
					continue;
				}
				Map<String, Double> times = new LinkedHashMap<>();
				for (JsonNode op : step.get("op_time")) {
					times.put(op.get("op").asString(), op.get("ms").asDouble());
				}
				byStep.put(step.get("name").asString(), times);
			}
		}
		if (byStep.isEmpty()) {
			return;
		}
		// The op types most costly in any step, in the order they first appear.
		for (Map<String, Double> times : byStep.values()) {
			times.keySet().stream().limit(PER_STEP).forEach(ops::add);
		}
		List<String> categories = new ArrayList<>(ops).subList(0, Math.min(OP_TYPES, ops.size()));
		CategoryChart chart = new CategoryChartBuilder().width(1500)
			.height(500)
			.title("Op time of the reference batch, by op type and startup step")
			.xAxisTitle("op type")
			.yAxisTitle("ms")
			.build();
		chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
		List<String> labels = categories.stream().map(OpTimeChart::label).toList();
		byStep.forEach((step, times) -> chart.addSeries(step, labels,
				categories.stream().map((op) -> times.getOrDefault(op, 0.0)).toList()));
		BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
	}

	/** An op type short enough not to overlap its neighbours on the axis. */
	static String label(String op) {
		return op.replace("WithBiasAndDequantize", "+deq");
	}

}
