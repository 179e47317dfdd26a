package io.eino.serving.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.eino.serving.OnnxRuntimeOracle;
import io.eino.serving.importer.ClassifierHead;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;
import io.eino.serving.text.TokenizedBatch;

/**
 * The engine a Java user would otherwise pick: ONNX Runtime in-process on the same ONNX
 * file, with the same tokenizer and the same sentiment head (mean pooling, L2
 * normalisation, linear layer and softmax, in Java), intra-op threads = cores, graph
 * optimisation on. Called from one thread, one request (or one batch) after another.
 */
final class OnnxRuntimeBaseline {

	private OnnxRuntimeBaseline() {
	}

	/**
	 * @param name what was measured
	 * @param batchSize sentences per call
	 * @param requests sentences predicted
	 * @param seconds time taken
	 * @param latencies per call, in milliseconds
	 */
	record Result(String name, int batchSize, long requests, double seconds, double[] latencies) {

		double throughput() {
			return this.requests / this.seconds;
		}

		/** The name as a JSON key: {@code onnxruntime_fp32_batch_1}. */
		String key() {
			return this.name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
		}

		boolean onnxRuntime() {
			return this.name.startsWith("onnxruntime");
		}

	}

	/** LangChain4j's int8 all-MiniLM-L6-v2, the quantised model its users embed with. */
	static final String INT8_RESOURCE = "/all-minilm-l6-v2-q.onnx";

	/**
	 * ONNX Runtime at its best and at its plainest, on the same texts: the fp32 model one
	 * text a call, 32 texts a call in the corpus's order (padded to the longest of each
	 * 32) and 32 a call sorted by length (what a user batching a known set of texts
	 * does); LangChain4j's int8 model one text a call and 32 sorted.
	 */
	static List<Result> run(List<String> corpus, Duration duration, Path work) throws Exception {
		OrtEnvironment environment = OrtEnvironment.getEnvironment();
		Files.createDirectories(work);
		ClassifierHead head = DefaultModel.head();
		List<Result> results = new ArrayList<>();
		try (TextTokenizer tokenizer = TextTokenizer.load(DefaultModel.extractTokenizer(work), DefaultModel.MAX_TOKENS,
				Overflow.TRUNCATE)) {
			List<String> sorted = corpus.stream()
				.sorted(java.util.Comparator.comparingInt((String text) -> tokenizer.tokens(text).size()))
				.toList();
			for (String precision : List.of("fp32", "int8")) {
				String resource = precision.equals("fp32") ? DefaultModel.ONNX_RESOURCE : INT8_RESOURCE;
				try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
						OrtSession session = environment.createSession(read(resource), options(options))) {
					Call call = (texts) -> predict(environment, session, tokenizer, head, texts);
					String name = "onnxruntime " + precision
							+ (precision.equals("int8") ? " (LangChain4j's quantised model)" : "");
					results.add(measure(name + ", batch 1", corpus, 1, duration, call));
					if (precision.equals("fp32")) {
						results.add(measure(name + ", batch 32 in arrival order", corpus, 32, duration, call));
					}
					results.add(measure(name + ", batch 32 sorted by length", sorted, 32, duration, call));
				}
			}
		}
		return results;
	}

	private static OrtSession.SessionOptions options(OrtSession.SessionOptions options) throws Exception {
		options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
		options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
		return options;
	}

	private static byte[] read(String resource) throws IOException {
		try (InputStream in = OnnxRuntimeBaseline.class.getResourceAsStream(resource)) {
			if (in == null) {
				throw new IllegalStateException(resource + " is not on the test classpath");
			}
			return in.readAllBytes();
		}
	}

	/**
	 * Measures {@code call} for {@code duration} after 3 s of warm-up on the same texts.
	 */
	private static Result measure(String name, List<String> corpus, int batch, Duration duration, Call call)
			throws Exception {
		measureFor(name, corpus, batch, Duration.ofSeconds(3), call);
		return measureFor(name, corpus, batch, duration, call);
	}

	/** One call of an in-process engine on a batch of texts. */
	@FunctionalInterface
	interface Call {

		void run(List<String> texts) throws Exception;

	}

	/**
	 * Calls {@code call} on batches of {@code batch} corpus texts, one after another, for
	 * {@code duration}: throughput and each call's latency.
	 */
	static Result measureFor(String name, List<String> corpus, int batch, Duration duration, Call call)
			throws Exception {
		List<Double> latencies = new ArrayList<>();
		long requests = 0;
		int next = 0;
		long started = System.nanoTime();
		long end = started + duration.toNanos();
		while (System.nanoTime() < end) {
			List<String> texts = new ArrayList<>(batch);
			for (int i = 0; i < batch; i++) {
				texts.add(corpus.get(next));
				next = (next + 1) % corpus.size();
			}
			long start = System.nanoTime();
			call.run(texts);
			latencies.add((System.nanoTime() - start) / 1e6);
			requests += batch;
		}
		double seconds = (System.nanoTime() - started) / 1e9;
		return new Result(name, batch, requests, seconds,
				latencies.stream().mapToDouble(Double::doubleValue).toArray());
	}

	/** Tokenize, run, pool, classify: what the service does for each request. */
	static float[][] predict(OrtEnvironment environment, OrtSession session, TextTokenizer tokenizer,
			ClassifierHead head, List<String> texts) throws Exception {
		TokenizedBatch batch = tokenizer.encode(texts);
		float[][][] hidden = OnnxRuntimeOracle.hiddenStates(environment, session, batch);
		float[][] probabilities = new float[texts.size()][];
		for (int row = 0; row < texts.size(); row++) {
			probabilities[row] = classify(head, OnnxRuntimeOracle.meanPoolAndNormalise(hidden[row],
					batch.attentionMask().values(), row * batch.sequenceLength()));
		}
		return probabilities;
	}

	private static float[] classify(ClassifierHead head, double[] embedding) {
		int labels = head.labels().size();
		double[] logits = new double[labels];
		double max = Double.NEGATIVE_INFINITY;
		for (int label = 0; label < labels; label++) {
			double logit = head.bias()[label];
			for (int d = 0; d < embedding.length; d++) {
				logit += head.weights()[label][d] * embedding[d];
			}
			logits[label] = logit;
			max = Math.max(max, logit);
		}
		double sum = 0;
		for (int label = 0; label < labels; label++) {
			logits[label] = Math.exp(logits[label] - max);
			sum += logits[label];
		}
		float[] probabilities = new float[labels];
		for (int label = 0; label < labels; label++) {
			probabilities[label] = (float) (logits[label] / sum);
		}
		return probabilities;
	}

}
