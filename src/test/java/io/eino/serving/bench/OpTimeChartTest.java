package io.eino.serving.bench;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The op-time chart of the benchmark is drawn from the metadata's steps, and nothing is
 * drawn when they carry no breakdown.
 */
class OpTimeChartTest {

	@Test
	void drawsTheStepsThatCarryABreakdown(@TempDir Path directory) throws Exception {
		var steps = JsonMapper.builder().build().readTree("""
				[{"name": "graph as imported (baseline)", "op_time": [{"op": "_MklMatMul", "nodes": 37, "ms": 21.0},
				  {"op": "Pow", "nodes": 13, "ms": 12.1}]},
				 {"name": "grappler", "op_time": [{"op": "_MklMatMul", "nodes": 36, "ms": 11.6},
				  {"op": "Add", "nodes": 88, "ms": 1.3}]},
				 {"name": "bf16", "note": "not measured"}]
				""");
		Path chart = directory.resolve("op-time.png");
		OpTimeChart.write(steps, chart);
		assertThat(chart).isRegularFile();
		assertThat(Files.size(chart)).isGreaterThan(1000);
		Path none = directory.resolve("none.png");
		OpTimeChart.write(JsonMapper.builder().build().readTree("[]"), none);
		assertThat(none).doesNotExist();
	}

}
