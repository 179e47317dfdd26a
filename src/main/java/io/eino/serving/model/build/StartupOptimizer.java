package io.eino.serving.model.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.eino.serving.model.OptimizationReport;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.GraphOptimization;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.OpProfile;
import io.eino.serving.runtime.Precision;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.TextTokenizer;
import io.eino.serving.text.TokenizedBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The startup ("compile-time") optimisation step of one model version, run before it
 * takes traffic: measures the reference batch with no graph optimisation, with Grappler's
 * rewrites, with XLA JIT (level {@code full}) and with bfloat16 (precision {@code auto},
 * on CPUs that have it), and chooses the session settings serving uses.
 *
 * <p>
 * bfloat16 is kept only if, on the model's evaluation texts, its labels agree with
 * float32's on at least {@value #MIN_LABEL_AGREEMENT} of them, no output differs by more
 * than {@value #MAX_OUTPUT_DIFFERENCE}, and it is at least
 * {@value #MIN_BFLOAT16_SPEEDUP}× faster; otherwise float32 stays and the report says
 * why.
 */
final class StartupOptimizer {

	private static final Logger logger = LoggerFactory.getLogger(StartupOptimizer.class);

	static final double MIN_LABEL_AGREEMENT = 0.995;

	static final double MAX_OUTPUT_DIFFERENCE = 0.02;

	/** Below this, a measured gain is within the noise of a shared machine. */
	static final double MIN_BFLOAT16_SPEEDUP = 1.05;

	private static final String REFERENCE_TEXT = "The service answered every question quickly, "
			+ "and the staff were friendly, but the room was far too small for the price we paid.";

	private static final int REFERENCE_ROWS = 8;

	private static final int TIMED_RUNS = 5;

	private static final int EVALUATION_BATCH = 32;

	private final GraphOptimization level;

	private final Precision precision;

	private final boolean bfloat16Hardware;

	StartupOptimizer(GraphOptimization level, Precision precision, boolean bfloat16Hardware) {
		this.level = level;
		this.precision = precision;
		this.bfloat16Hardware = bfloat16Hardware;
	}

	/**
	 * The chosen settings and the report of how they were chosen.
	 *
	 * @param settings what serving sessions use
	 * @param steps the measured steps
	 * @param precision fp32 or bf16
	 * @param precisionReason why
	 */
	record Choice(SessionSettings settings, List<OptimizationReport.Step> steps, String precision,
			String precisionReason) {
	}

	Choice choose(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor, TextTokenizer tokenizer,
			SessionSettings base) {
		List<OptimizationReport.Step> steps = new ArrayList<>();
		SessionSettings chosen = base.withOptimization(this.level, false);
		if (this.level == GraphOptimization.NONE && this.precision == Precision.FP32) {
			return new Choice(chosen, steps, "fp32", "precision fp32 configured");
		}
		Map<String, HostTensor> reference = tokenizer.encode(Collections.nCopies(REFERENCE_ROWS, REFERENCE_TEXT))
			.asInputs();
		Timing baseline = time(versionDirectory, base.withOptimization(GraphOptimization.NONE, false), descriptor,
				reference);
		steps.add(new OptimizationReport.Step("no graph optimisation (baseline)", this.level == GraphOptimization.NONE,
				baseline.millis(), 1.0, "the graph as imported", baseline.profile()));
		double previous = baseline.millis();
		if (this.level != GraphOptimization.NONE) {
			Timing grappler = time(versionDirectory, base.withOptimization(GraphOptimization.DEFAULT, false),
					descriptor, reference);
			steps.add(new OptimizationReport.Step("grappler", true, grappler.millis(), previous / grappler.millis(),
					"constant folding, arithmetic, remapper fusions, layout, shape, dependency, common subgraphs",
					grappler.profile()));
			previous = grappler.millis();
		}
		if (this.level == GraphOptimization.FULL) {
			Timing xla = time(versionDirectory, base.withOptimization(GraphOptimization.FULL, false), descriptor,
					reference);
			steps.add(new OptimizationReport.Step("xla-jit", true, xla.millis(), previous / xla.millis(),
					"XLA compiles each new input shape once; warm-up covers the bucket shapes", xla.profile()));
			previous = xla.millis();
		}
		if (this.precision == Precision.FP32) {
			return new Choice(chosen, steps, "fp32", "precision fp32 configured");
		}
		String refusal = bfloat16Refusal(versionDirectory, modelDirectory, descriptor);
		if (refusal != null) {
			steps.add(new OptimizationReport.Step("bf16", false, Double.NaN, Double.NaN, refusal));
			return new Choice(chosen, steps, "fp32", refusal);
		}
		SessionSettings bfloat16 = base.withOptimization(this.level, true);
		List<String> texts = evaluationTexts(evaluationFile(versionDirectory, modelDirectory, descriptor));
		Agreement agreement = compare(versionDirectory, chosen, bfloat16, descriptor, tokenizer, texts);
		Timing bf16 = time(versionDirectory, bfloat16, descriptor, reference);
		double speedup = previous / bf16.millis();
		String measured = String.format(Locale.ROOT,
				"labels agree on %.1f %% of %d evaluation texts, largest output difference %.4f, speed-up %.2f×",
				agreement.labelAgreement() * 100, texts.size(), agreement.maxDifference(), speedup);
		boolean accurate = agreement.labelAgreement() >= MIN_LABEL_AGREEMENT
				&& agreement.maxDifference() <= MAX_OUTPUT_DIFFERENCE;
		boolean kept = accurate && speedup >= MIN_BFLOAT16_SPEEDUP;
		String reason = kept ? "bf16 kept: " + measured : "fp32 kept: bf16 "
				+ (accurate ? "was not at least " + MIN_BFLOAT16_SPEEDUP + "× faster" : "failed the accuracy check")
				+ " (" + measured + ")";
		steps.add(new OptimizationReport.Step("bf16", kept, bf16.millis(), speedup, reason, bf16.profile()));
		return new Choice(kept ? bfloat16 : chosen, steps, kept ? "bf16" : "fp32", reason);
	}

	private String bfloat16Refusal(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor) {
		if (!this.bfloat16Hardware) {
			return "fp32 kept: this CPU has neither AVX512-BF16 nor AMX";
		}
		if (this.level == GraphOptimization.NONE) {
			return "fp32 kept: the bf16 rewrite is a Grappler pass and graph optimisation is off";
		}
		if (evaluationFile(versionDirectory, modelDirectory, descriptor) == null) {
			return "fp32 kept: the model has no evaluation texts to check bf16 against";
		}
		return null;
	}

	private static Path evaluationFile(Path versionDirectory, Path modelDirectory, ModelDescriptor descriptor) {
		if (descriptor.evaluation() == null) {
			return null;
		}
		for (Path candidate : List.of(versionDirectory.resolve(descriptor.evaluation()),
				modelDirectory.resolve(descriptor.evaluation()))) {
			if (Files.isRegularFile(candidate)) {
				return candidate;
			}
		}
		return null;
	}

	/** Lines of {@code label TAB text} or plain text; {@code #} starts a comment. */
	static List<String> evaluationTexts(Path file) {
		try {
			return Files.readAllLines(file)
				.stream()
				.filter((line) -> !line.isBlank() && !line.startsWith("#"))
				.map((line) -> line.contains("\t") ? line.substring(line.indexOf('\t') + 1) : line)
				.toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private record Agreement(double labelAgreement, double maxDifference) {
	}

	private static Agreement compare(Path directory, SessionSettings reference, SessionSettings candidate,
			ModelDescriptor descriptor, TextTokenizer tokenizer, List<String> texts) {
		try (SavedModelRunner expected = SavedModelRunner.load(directory, reference);
				SavedModelRunner actual = SavedModelRunner.load(directory, candidate)) {
			int agreeing = 0;
			double maxDifference = 0;
			for (int start = 0; start < texts.size(); start += EVALUATION_BATCH) {
				TokenizedBatch batch = tokenizer
					.encode(texts.subList(start, Math.min(texts.size(), start + EVALUATION_BATCH)));
				HostTensor.Float32 want = output(expected, descriptor, batch.asInputs());
				HostTensor.Float32 got = output(actual, descriptor, batch.asInputs());
				for (int row = 0; row < batch.size(); row++) {
					float[] wantRow = want.row(row);
					float[] gotRow = got.row(row);
					if (argmax(wantRow) == argmax(gotRow)) {
						agreeing++;
					}
					for (int i = 0; i < wantRow.length; i++) {
						maxDifference = Math.max(maxDifference, Math.abs(wantRow[i] - gotRow[i]));
					}
				}
			}
			double labelAgreement = (descriptor.task() == ModelDescriptor.Task.CLASSIFICATION)
					? (double) agreeing / texts.size() : 1.0;
			return new Agreement(labelAgreement, maxDifference);
		}
	}

	/**
	 * The reference batch's median run time with {@code settings}, and one step trace of
	 * it by op type.
	 *
	 * @param millis the median of the timed runs
	 * @param profile where one more run spent its time
	 */
	private record Timing(double millis, OpProfile profile) {
	}

	private static Timing time(Path directory, SessionSettings settings, ModelDescriptor descriptor,
			Map<String, HostTensor> inputs) {
		try (SavedModelRunner runner = SavedModelRunner.load(directory, settings)) {
			output(runner, descriptor, inputs);
			double[] millis = new double[TIMED_RUNS];
			for (int i = 0; i < TIMED_RUNS; i++) {
				long started = System.nanoTime();
				output(runner, descriptor, inputs);
				millis[i] = (System.nanoTime() - started) / 1e6;
			}
			Arrays.sort(millis);
			double median = millis[TIMED_RUNS / 2];
			OpProfile profile = runner.profile(descriptor.signature(), inputs, List.of(descriptor.output()));
			logger.debug("Reference batch with {}: {} ms; most op time in {}", settings, median, profile.top(5));
			return new Timing(median, profile);
		}
	}

	private static HostTensor.Float32 output(SavedModelRunner runner, ModelDescriptor descriptor,
			Map<String, HostTensor> inputs) {
		return (HostTensor.Float32) runner.run(descriptor.signature(), inputs, List.of(descriptor.output()))
			.get(descriptor.output());
	}

	private static int argmax(float[] values) {
		int best = 0;
		for (int i = 1; i < values.length; i++) {
			if (values[i] > values[best]) {
				best = i;
			}
		}
		return best;
	}

	/** Whether this CPU runs bfloat16 natively (Linux: the flags in /proc/cpuinfo). */
	static boolean cpuHasBfloat16() {
		try {
			Path cpuinfo = Path.of("/proc/cpuinfo");
			if (!Files.isReadable(cpuinfo)) {
				return false;
			}
			String flags = Files.readString(cpuinfo);
			return flags.contains(" avx512_bf16") || flags.contains(" amx_bf16");
		}
		catch (IOException ex) {
			return false;
		}
	}

}
