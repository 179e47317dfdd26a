package io.eino.serving.bench;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The benchmark's picture: p50 and p99 latency against concurrency (log scale) beside
 * throughput bars, in one PNG.
 */
final class BenchChart {

	private static final int WIDTH = 700;

	private static final int HEIGHT = 450;

	private BenchChart() {
	}

	static void write(Map<String, List<Wrk.Result>> services, Map<String, Double> flatThroughputs, Path file)
			throws IOException {
		XYChart latency = new XYChartBuilder().width(WIDTH)
			.height(HEIGHT)
			.title("Latency against concurrency")
			.xAxisTitle("concurrent clients")
			.yAxisTitle("ms (log)")
			.build();
		latency.getStyler().setYAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.InsideNW);
		services.forEach((name, results) -> {
			double[] clients = results.stream().mapToDouble(Wrk.Result::concurrency).toArray();
			latency.addSeries(name + " p50", clients, results.stream().mapToDouble(Wrk.Result::p50Millis).toArray());
			latency.addSeries(name + " p99", clients, results.stream().mapToDouble(Wrk.Result::p99Millis).toArray());
		});
		CategoryChart throughput = new CategoryChartBuilder().width(WIDTH)
			.height(HEIGHT)
			.title("Throughput")
			.xAxisTitle("")
			.yAxisTitle("requests / s")
			.build();
		throughput.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
		services.forEach((name, results) -> throughput.addSeries(name,
				results.stream().map((result) -> result.concurrency() + " clients").toList(),
				results.stream().map(Wrk.Result::goodput).toList()));
		List<String> flatNames = List.copyOf(flatThroughputs.keySet());
		List<String> categories = services.values()
			.iterator()
			.next()
			.stream()
			.map((result) -> result.concurrency() + " clients")
			.toList();
		for (String name : flatNames) {
			throughput.addSeries(name, categories,
					categories.stream().map((category) -> flatThroughputs.get(name)).toList());
		}
		BufferedImage image = new BufferedImage(2 * WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
		Graphics2D graphics = image.createGraphics();
		graphics.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
		latency.paint(graphics, WIDTH, HEIGHT);
		graphics.translate(WIDTH, 0);
		throughput.paint(graphics, WIDTH, HEIGHT);
		graphics.dispose();
		ImageIO.write(image, "png", file.toFile());
	}

}
