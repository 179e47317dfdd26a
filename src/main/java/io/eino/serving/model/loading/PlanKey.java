package io.eino.serving.model.loading;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.CpuFeatures;
import io.eino.serving.runtime.SessionSettings;
import org.tensorflow.TensorFlow;

/**
 * The key of a stored startup plan ({@link StartupPlans}): what the plan was chosen for.
 * A SHA-256 of every file of the version (its relative path and content), of the model's
 * own files (a shared tokenizer or evaluation file) and of what of its descriptor the
 * startup step reads, this CPU's model name and feature flags, the session settings
 * (thread layout, GPU options), the runners, the graph optimisation level and precision
 * configured, TensorFlow's version and the code of the startup step. Hashing the default
 * model's 90 MB takes about 0.1 s.
 */
final class PlanKey {

	private final String settings;

	/** Read at the first key (see the constructor); a race computes the same string. */
	private volatile String environment;

	/**
	 * TensorFlow's version and the CPU's features are read at the first key: reading them
	 * loads TensorFlow's native library, which the server's start should not wait for.
	 */
	PlanKey(int format, GraphOptimization level, Precision precision, int instances) {
		this.settings = "format " + format + "; eino " + build() + "; level " + level + "; precision " + precision
				+ "; runners " + instances;
	}

	private String environment() {
		if (this.environment == null) {
			this.environment = this.settings + "; tensorflow " + TensorFlow.version() + "; cpu "
					+ CpuFeatures.fingerprint();
		}
		return this.environment;
	}

	/**
	 * The key of the version in {@code stored}, of the model in {@code modelDirectory}
	 * described by {@code descriptor}: of the descriptor only what the startup step reads
	 * (the task, signature, output, tokenizer, token limit, evaluation texts and
	 * pooling), so that a model that differs only in its limits, rate or pipeline shares
	 * its plans.
	 */
	String of(Path stored, Path modelDirectory, ModelDescriptor descriptor, SessionSettings base) {
		return digest(stored, modelDirectory, descriptor, base, PlanKey::hash);
	}

	/**
	 * The key of the version's structure: as {@link #of}, but of its graph only what does
	 * not depend on the weights (every constant's type and shape, not its values:
	 * {@link GraphStructure}), of its variables their names and sizes, and of its other
	 * files and the model's their names. Two versions with the same structure run alike
	 * on the same CPU and settings, so the startup step's decision for one holds for the
	 * other, once the other's outputs pass the step's checks ({@link StartupTuner}).
	 */
	String structureOf(Path stored, Path modelDirectory, ModelDescriptor descriptor, SessionSettings base) {
		return digest(stored, modelDirectory, descriptor, base, (digest, name, file) -> {
			update(digest, name);
			if (name.equals(GraphStructure.SAVED_MODEL)) {
				GraphStructure.hash(digest, file);
			}
			else if (name.startsWith("variables")) {
				update(digest, Long.toString(Files.size(file)));
			}
		});
	}

	/** How one file enters a key. */
	@FunctionalInterface
	private interface FileHash {

		void hash(MessageDigest digest, String name, Path file) throws IOException;

	}

	private String digest(Path stored, Path modelDirectory, ModelDescriptor descriptor, SessionSettings base,
			FileHash files) {
		MessageDigest digest = sha256();
		update(digest, environment() + "; threads " + base.intraOpThreads() + "/" + base.interOpThreads() + "; gpu "
				+ base.gpu());
		update(digest,
				(descriptor == null) ? "no descriptor"
						: descriptor.task() + "; " + descriptor.signature() + "; " + descriptor.output() + "; "
								+ descriptor.tokenizer() + "; " + descriptor.maxTokens() + "; " + descriptor.overflow()
								+ "; " + descriptor.evaluation() + "; " + descriptor.pooling());
		try (Stream<Path> versionFiles = Files.walk(stored)) {
			for (Path file : versionFiles.filter(Files::isRegularFile)
				.filter((file) -> !PlanHome.isPlanFile(file.getFileName().toString()))
				.sorted()
				.toList()) {
				files.hash(digest, stored.relativize(file).toString(), file);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		try (Stream<Path> modelFiles = Files.list(modelDirectory)) {
			for (Path file : modelFiles.filter(Files::isRegularFile)
				.filter((file) -> !file.getFileName().toString().equals(ModelDescriptor.FILE_NAME))
				.sorted()
				.toList()) {
				files.hash(digest, "../" + file.getFileName(), file);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return HexFormat.of().formatHex(digest.digest());
	}

	private static void hash(MessageDigest digest, String name, Path file) throws IOException {
		update(digest, name);
		try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
			in.transferTo(OutputStream.nullOutputStream());
		}
	}

	private static void update(MessageDigest digest, String text) {
		digest.update(text.getBytes(StandardCharsets.UTF_8));
		digest.update((byte) 0);
	}

	/**
	 * This build of the service: its version and a digest of the code that builds and
	 * chooses the graphs, so that a changed startup step never reuses an older build's
	 * plan (a snapshot keeps its version number across changes).
	 */
	private static String build() {
		MessageDigest digest = sha256();
		List<String> code = List.of("StartupPlans", "StartupOptimizer", "StartupTuner", "GraphStructure",
				"SessionMeasurements", "SpeedComparison", "Candidate", "OutputComparison", "OutputComparison$Retrieval",
				"VersionSessions", "/io/eino/serving/runtime/Pooling", "/io/eino/serving/runtime/SessionSettings",
				"/io/eino/serving/runtime/SavedModelRunner", "/io/eino/serving/runtime/OptimisedGraph",
				"/io/eino/serving/runtime/Calibration", "/io/eino/serving/graph/FrozenGraph",
				"/io/eino/serving/graph/GraphIndex", "/io/eino/serving/graph/EncoderRewrite",
				"/io/eino/serving/graph/LayerNormMatch", "/io/eino/serving/graph/ScoreScale",
				"/io/eino/serving/graph/Int8Rewrite", "/io/eino/serving/graph/Int8Input",
				"/io/eino/serving/graph/Int8Weights", "/io/eino/serving/graph/ActivationRanges");
		for (String type : code) {
			try (InputStream in = StartupPlans.class.getResourceAsStream(type + ".class")) {
				if (in == null) {
					// A class moved or renamed: the key must not silently stop covering
					// it.
					throw new IllegalStateException("The plan key's code " + type + " is not on the class path");
				}
				digest.update(in.readAllBytes());
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		// The code itself, not the jar's version: a jar and the classes it was built from
		// (spring-boot:run, the tests) choose alike and share their plans.
		return "code " + HexFormat.of().formatHex(digest.digest(), 0, 8);
	}

	private static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
