package io.eino.serving.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.TestModels;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.sentiment.DefaultModelInstaller;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The benchmark behind {@code bench/run.sh}: one run, one machine, side by side.
 *
 * <ol>
 * <li>eino, tuned (the defaults: batching, length buckets, startup optimisation);
 * <li>eino in the "traditional" configuration: no batching, every request padded to 256,
 * no graph optimisation, fp32;
 * <li>ONNX Runtime in-process on the same ONNX file, single request and batch 32;
 * <li>the roofline: model FLOPs per request against this machine's measured matmul peak
 * in the precision the service serves (fp32 or bf16, both measured).
 * </ol>
 * Both services are driven over HTTP by wrk at each concurrency with the corpus
 * ({@code bench/corpus.txt}). Writes {@code target/bench/results.json},
 * {@code results.md} and {@code benchmark.png}. Optional soak: {@code --soak=N} sends N
 * requests to the tuned service and reports resident memory along the way.
 */
public final class Benchmark {

	private static final int BASE_PORT = 18080;

	private Benchmark() {
	}

	@SuppressWarnings("unchecked")
	public static void main(String[] args) throws Exception {
		Map<String, String> options = options(args);
		Duration duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "20")));
		// Each start is warmed before it is measured: a fresh start reaches its steady
		// throughput about 60 s into a flood, when the JIT compiler has caught up
		// (docs/benchmark.md, "Warm-up").
		Duration warmup = Duration.ofSeconds(Long.parseLong(options.getOrDefault("warmup", "60")));
		List<Integer> concurrencies = List.of(options.getOrDefault("concurrency", "32,64,128").split(","))
			.stream()
			.map(Integer::parseInt)
			.toList();
		long soakRequests = Long.parseLong(options.getOrDefault("soak", "0"));
		Path out = Path.of("target", "bench");
		Path jar = Path.of("target", "eino-serving.jar");
		Path repository = out.resolve("repository").toAbsolutePath();
		Files.createDirectories(out);
		Path versionDirectory = repository.resolve(DefaultModel.NAME).resolve(Long.toString(DefaultModel.VERSION));
		// A fresh repository each run: a graph installed by an earlier build under
		// the same version number would otherwise be measured instead of this one's.
		TestModels.deleteRecursively(repository);
		new DefaultModelInstaller().installIfMissing(repository);
		Path corpusFile = Path.of(options.getOrDefault("corpus", "bench/corpus.txt"));
		List<String> corpus = Wrk.corpus(corpusFile);
		Path bodies = Wrk.writeBodies(corpus, out);
		JsonMapper json = JsonMapper.builder().build();
		Path script = Path.of("bench", "wrk-corpus.lua");

		Map<String, Object> report = new LinkedHashMap<>();
		report.put("date", Instant.now().toString());
		report.put("cores", Runtime.getRuntime().availableProcessors());
		report.put("cpu", cpuModel());
		report.put("seconds_per_point", duration.toSeconds());
		report.put("warmup_seconds", warmup.toSeconds());

		System.out.println("Measuring the fp32, bf16 and int8 matmul peaks ...");
		Map<String, Double> peaks = Map.of("fp32", MatmulPeak.measure("fp32"), "bf16", MatmulPeak.measure("bf16"),
				"int8", MatmulPeak.measure("int8"));
		double flopsPerRequest;
		double meanTokens;
		try (TextTokenizer tokenizer = TextTokenizer.load(DefaultModel.extractTokenizer(out.resolve("tokenizer")),
				DefaultModel.MAX_TOKENS, Overflow.TRUNCATE)) {
			flopsPerRequest = ModelFlops.meanPerRequest(corpus, tokenizer);
			meanTokens = ModelFlops.meanTokens(corpus, tokenizer);
		}
		report.put("matmul_peak_gflops", Map.of("fp32", peaks.get("fp32") / 1e9, "bf16", peaks.get("bf16") / 1e9,
				"int8", peaks.get("int8") / 1e9));
		report.put("corpus", corpusFile.toString());
		report.put("corpus_sentences", corpus.size());
		report.put("corpus_mean_tokens", meanTokens);
		report.put("model_mflops_per_request", flopsPerRequest / 1e6);

		int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
		report.put("rounds", rounds);
		Map<String, Object> serviceReports = new LinkedHashMap<>();
		List<String> common = List.of("eino.repository.path=" + repository,
				"eino.repository.install-default-model=true");
		Map<String, List<String>> offered = new LinkedHashMap<>();
		// The service as a user gets it: every setting at its default.
		offered.put("tuned", common);
		// The same build with the startup step off: the graph as imported, in fp32.
		List<String> stepOff = new ArrayList<>(common);
		stepOff.addAll(List.of("eino.runtime.graph-optimization=none", "eino.runtime.precision=fp32"));
		offered.put("off", stepOff);
		List<String> traditional = new ArrayList<>(common);
		traditional.addAll(List.of("eino.batching.enabled=false", "eino.models.sentiment.pad-to=256",
				"eino.runtime.graph-optimization=none", "eino.runtime.precision=fp32"));
		offered.put("traditional", traditional);
		Map<String, List<String>> configurations = new LinkedHashMap<>();
		for (String chosen : options.getOrDefault("configurations", "tuned,off").split(",")) {
			String name = switch (chosen) {
				case "tuned" -> "eino tuned";
				case "off" -> "eino startup step off";
				case "traditional" -> "eino traditional";
				default -> throw new IllegalArgumentException("--configurations takes tuned, off and traditional");
			};
			configurations.put(name, offered.get(chosen));
		}
		// Interleaved: every round measures each configuration, then ONNX Runtime, so
		// that a
		// slow minute of the machine hits both sides (docs/benchmark.md).
		List<Map<String, List<Wrk.Result>>> serviceRounds = new ArrayList<>();
		List<List<OnnxRuntimeBaseline.Result>> onnxRounds = new ArrayList<>();
		List<OnnxRuntimeBaseline.Result> sessionRounds = new ArrayList<>();
		JsonNode opProfile = null;
		String served = "fp32";
		for (int round = 1; round <= rounds; round++) {
			Map<String, List<Wrk.Result>> measured = new LinkedHashMap<>();
			for (Map.Entry<String, List<String>> configuration : configurations.entrySet()) {
				String name = configuration.getKey();
				System.out.println("Round " + round + ": starting " + name + " ...");
				// Every start of the default configuration runs the startup step anew,
				// so that its choice, on this minute of the machine, is part of what is
				// measured (a stored plan would repeat round 1's).
				forgetPlans(repository);
				try (ServiceProcess service = ServiceProcess.start(jar,
						out.resolve(name.replace(' ', '-') + "-" + round + ".log"), BASE_PORT,
						configuration.getValue())) {
					String url = "http://127.0.0.1:" + service.port() + "/v1/models/sentiment:predict";
					Wrk.run(url, script, bodies, concurrencies.get(0), warmup);
					List<Wrk.Result> results = new ArrayList<>();
					for (int concurrency : concurrencies) {
						Wrk.Result result = Wrk.run(url, script, bodies, concurrency, duration);
						System.out.println(row(name + ", round " + round, result.concurrency() + "", result.goodput(),
								result.p50Millis(), result.p95Millis(), result.p99Millis()));
						results.add(result);
					}
					measured.put(name, results);
					if (name.equals("eino tuned")) {
						// The plan this round's step chose: the next configuration's
						// start
						// stores its own in the same place.
						Files.copy(versionDirectory.resolve("startup-plan.json"), out.resolve("tuned-plan.json"),
								java.nio.file.StandardCopyOption.REPLACE_EXISTING);
					}
					if (round == 1) {
						Map<String, Object> details = new LinkedHashMap<>();
						details.put("properties", configuration.getValue());
						String scrape = service.get("/actuator/prometheus");
						details.put("batch_size_mean", meanBatchSize(scrape));
						details.put("padded_share", paddedShare(scrape));
						details.put("runtime_metadata", json.readTree(service.get("/actuator/health/models")));
						serviceReports.put(name, details);
						if (name.equals("eino tuned")) {
							JsonNode runtime = json.readTree(service.getPublic("/v1/models/sentiment/metadata"))
								.at("/metadata/eino/runtime");
							opProfile = runtime.at("/optimization_steps");
							served = runtime.path("precision").asString("fp32");
						}
					}
				}
			}
			serviceRounds.add(measured);
			System.out.println("Round " + round + ": running ONNX Runtime in-process ...");
			List<OnnxRuntimeBaseline.Result> baselines = new ArrayList<>(
					OnnxRuntimeBaseline.run(corpus, duration, out.resolve("onnx")));
			System.out.println("Round " + round + ": running LangChain4j in-process ...");
			baselines.addAll(LangChain4jBaseline.run(corpus, duration));
			onnxRounds.add(baselines);
			System.out.println("Round " + round + ": running eino's session in-process ...");
			sessionRounds.add(EinoInProcess.run(corpus, duration, versionDirectory, out.resolve("tuned-plan.json"),
					out.resolve("eino-in-process")));
		}
		Map<String, List<Wrk.Result>> services = Rounds.medianServices(serviceRounds);
		services.forEach((name, points) -> ((Map<String, Object>) serviceReports.get(name)).put("points", points));
		List<OnnxRuntimeBaseline.Result> onnx = Rounds.medianOnnx(onnxRounds);
		int ratioClients = concurrencies.contains(64) ? 64 : concurrencies.get(0);
		Map<String, Object> ratios = Rounds.ratios(serviceRounds, onnxRounds, ratioClients);
		report.put("interleaved", ratios);
		// The roofline of the precision the service chose in round 1 (the startup step
		// decides).
		double peak = peaks.get(served);
		double roofline = peak / flopsPerRequest;
		report.put("served_precision", served);
		report.put("roofline_requests_per_second", roofline);
		report.put("op_time_by_step", opProfile);
		Map<String, Object> onnxReport = new LinkedHashMap<>();
		for (OnnxRuntimeBaseline.Result result : onnx) {
			double[] latencies = result.latencies().clone();
			java.util.Arrays.sort(latencies);
			onnxReport.put(result.name(),
					Map.of("batch_size", result.batchSize(), "requests", result.requests(), "seconds", result.seconds(),
							"requests_per_second", result.throughput(), "call_p50_ms", percentile(latencies, 50),
							"call_p95_ms", percentile(latencies, 95), "call_p99_ms", percentile(latencies, 99)));
		}
		report.put("services", serviceReports);
		report.put("onnxruntime", onnxReport);
		// The session alone: the ceiling of the serving path on this machine.
		List<OnnxRuntimeBaseline.Result> sessions = new ArrayList<>(sessionRounds);
		sessions.sort(java.util.Comparator.comparingDouble(OnnxRuntimeBaseline.Result::throughput));
		OnnxRuntimeBaseline.Result session = sessions.get(sessions.size() / 2);
		report.put("eino_session_in_process",
				Map.of("batch_size", EinoInProcess.BATCH, "requests_per_second_median", session.throughput(),
						"requests_per_second_rounds",
						sessionRounds.stream().map(OnnxRuntimeBaseline.Result::throughput).toList(), "roofline_share",
						session.throughput() / roofline));

		if (soakRequests > 0) {
			report.put("soak", soak(jar, out, common, script, bodies, soakRequests));
		}

		String table = table(services, onnx, session, roofline, served, peak, flopsPerRequest, meanTokens)
				+ String.format(Locale.ROOT,
						"%nInterleaved rounds, eino tuned at %d clients against ONNX Runtime in-process "
								+ "(requests or sequences per second; ratios taken within each round):%n%n",
						ratioClients)
				+ Rounds.table(ratios) + OpTimeTable.of(opProfile);
		report.put("targets", targets(services, onnx));
		Files.writeString(out.resolve("results.md"), table);
		json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("results.json").toFile(), report);
		Map<String, Double> flat = new LinkedHashMap<>();
		onnx.forEach((result) -> flat.put(result.name(), result.throughput()));
		flat.put("roofline", roofline);
		BenchChart.write(services, flat, out.resolve("benchmark.png"));
		OpTimeChart.write(opProfile, out.resolve("op-time.png"));
		System.out.println();
		System.out.println(table);
		System.out.println("Wrote " + out.resolve("results.json") + ", results.md, benchmark.png and op-time.png");
	}

	/**
	 * Removes every stored startup plan of the repository's versions, and the optimised
	 * graphs stored with them.
	 */
	private static void forgetPlans(Path repository) throws java.io.IOException {
		try (java.util.stream.Stream<Path> files = Files.walk(repository)) {
			for (Path plan : files
				.filter((file) -> file.getFileName().toString().startsWith("startup-plan")
						|| file.getFileName().toString().startsWith("startup-graph"))
				.toList()) {
				Files.delete(plan);
			}
		}
	}

	private static Map<String, Object> soak(Path jar, Path out, List<String> properties, Path script, Path bodies,
			long requests) throws Exception {
		System.out.println("Soak: " + requests + " requests to eino tuned ...");
		try (ServiceProcess service = ServiceProcess.start(jar, out.resolve("soak.log"), BASE_PORT, properties)) {
			String url = "http://127.0.0.1:" + service.port() + "/v1/models/sentiment:predict";
			Wrk.Result warm = Wrk.run(url, script, bodies, 64, Duration.ofSeconds(20));
			long startRss = service.residentKilobytes();
			List<Long> samples = new ArrayList<>(List.of(startRss));
			long sent = 0;
			long errors = 0;
			while (sent < requests) {
				Wrk.Result chunk = Wrk.run(url, script, bodies, 64, Duration.ofSeconds(30));
				sent += chunk.requests();
				errors += chunk.errors();
				samples.add(service.residentKilobytes());
				System.out.printf(Locale.ROOT, "  %d requests, RSS %d MiB%n", sent,
						samples.get(samples.size() - 1) / 1024);
			}
			Map<String, Object> soak = new LinkedHashMap<>();
			soak.put("warmup_requests", warm.requests());
			soak.put("requests", sent);
			soak.put("errors", errors);
			soak.put("rss_start_mib", startRss / 1024.0);
			soak.put("rss_end_mib", samples.get(samples.size() - 1) / 1024.0);
			soak.put("rss_samples_mib", samples.stream().map((kib) -> kib / 1024.0).toList());
			return soak;
		}
	}

	private static Map<String, Object> targets(Map<String, List<Wrk.Result>> services,
			List<OnnxRuntimeBaseline.Result> onnx) {
		List<Wrk.Result> tuned = services.get("eino tuned");
		Map<String, Object> targets = new LinkedHashMap<>();
		for (String other : List.of("eino startup step off", "eino traditional")) {
			List<Wrk.Result> against = services.get(other);
			for (int i = 0; against != null && i < tuned.size(); i++) {
				int clients = tuned.get(i).concurrency();
				String key = other.replace("eino ", "").replace(' ', '_');
				targets.put("goodput_over_" + key + "_at_" + clients,
						tuned.get(i).goodput() / against.get(i).goodput());
				targets.put("p99_over_" + key + "_at_" + clients,
						tuned.get(i).p99Millis() / against.get(i).p99Millis());
			}
		}
		double best = tuned.stream().mapToDouble(Wrk.Result::goodput).max().orElseThrow();
		for (OnnxRuntimeBaseline.Result baseline : onnx) {
			targets.put("best_goodput_over_" + baseline.key(), best / baseline.throughput());
		}
		return targets;
	}

	private static String table(Map<String, List<Wrk.Result>> services, List<OnnxRuntimeBaseline.Result> onnx,
			OnnxRuntimeBaseline.Result session, double roofline, String precision, double peak, double flopsPerRequest,
			double meanTokens) {
		StringBuilder table = new StringBuilder();
		table.append(
				"| configuration | clients | successful requests/s | p50 ms | p95 ms | p99 ms (every answer, refusals included) |\n");
		table.append("|---|---|---|---|---|---|\n");
		services.forEach((name, results) -> results.forEach(
				(result) -> table
					.append(row(name, Integer.toString(result.concurrency()), result.goodput(), result.p50Millis(),
							result.p95Millis(), result.p99Millis()))
					.append('\n')));
		List<OnnxRuntimeBaseline.Result> inProcess = new ArrayList<>(onnx);
		inProcess.add(session);
		for (OnnxRuntimeBaseline.Result result : inProcess) {
			double[] latencies = result.latencies().clone();
			java.util.Arrays.sort(latencies);
			table
				.append(row(result.name() + " (in-process, per call)", "1 caller", result.throughput(),
						percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)))
				.append('\n');
		}
		table.append(
				String.format(Locale.ROOT,
						"| roofline (%.0f GFLOP/s %s matmul peak, the precision served, ÷ %.0f MFLOP per request) "
								+ "| – | %.0f | – | – | – |%n",
						peak / 1e9, precision, flopsPerRequest / 1e6, roofline));
		List<Wrk.Result> tuned = services.get("eino tuned");
		List<Wrk.Result> traditional = services.get("eino traditional");
		if (tuned != null && traditional != null) {
			table.append("\nRatios (tuned ÷ traditional): ");
			for (int i = 0; i < tuned.size(); i++) {
				table.append(String.format(Locale.ROOT, "%d clients: throughput %.1f×, p99 %.3f×; ",
						tuned.get(i).concurrency(), tuned.get(i).goodput() / traditional.get(i).goodput(),
						tuned.get(i).p99Millis() / traditional.get(i).p99Millis()));
			}
			double best = tuned.stream().mapToDouble(Wrk.Result::goodput).max().orElseThrow();
			table.append(String.format(Locale.ROOT,
					"%nBest tuned throughput over ONNX Runtime single request: %.2f×; share of the roofline: %.0f %%"
							+ " (eino's session alone, in-process: %.0f %%). Corpus: mean %.1f tokens per request.%n",
					best / onnx.get(0).throughput(), 100 * best / roofline, 100 * session.throughput() / roofline,
					meanTokens));
		}
		return table.toString();
	}

	private static String row(String name, String clients, double throughput, double p50, double p95, double p99) {
		return String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %.1f |", name, clients, throughput, p50,
				p95, p99);
	}

	private static double percentile(double[] sorted, double percent) {
		int index = (int) Math.ceil(percent / 100 * sorted.length) - 1;
		return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
	}

	/** Padding's share of the positions the service ran: 1 − real tokens ÷ positions. */
	private static double paddedShare(String scrape) {
		double positions = total(scrape, "eino_batch_positions_total");
		return (positions > 0) ? 1 - total(scrape, "eino_batch_tokens_total") / positions : Double.NaN;
	}

	private static double meanBatchSize(String scrape) {
		double count = total(scrape, "eino_batch_size_count");
		return (count > 0) ? total(scrape, "eino_batch_size_sum") / count : Double.NaN;
	}

	/** The sum of a series over its labels in a Prometheus scrape. */
	private static double total(String scrape, String series) {
		double sum = 0;
		for (String line : scrape.lines().toList()) {
			if (line.startsWith(series + "{")) {
				sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
			}
		}
		return sum;
	}

	private static String cpuModel() {
		try {
			return Files.readAllLines(Path.of("/proc/cpuinfo"))
				.stream()
				.filter((line) -> line.startsWith("model name"))
				.map((line) -> line.substring(line.indexOf(':') + 1).trim())
				.findFirst()
				.orElse("unknown");
		}
		catch (java.io.IOException ex) {
			return "unknown";
		}
	}

	/** Options given as {@code --name=value}. */
	static Map<String, String> options(String[] args) {
		Map<String, String> options = new LinkedHashMap<>();
		for (String arg : args) {
			if (!arg.startsWith("--") || !arg.contains("=")) {
				throw new IllegalArgumentException("Options are --name=value, got " + arg);
			}
			options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
		}
		return options;
	}

}
