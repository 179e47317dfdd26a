package io.eino.serving.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;

import io.eino.serving.EinoProperties;
import io.eino.serving.importer.OnnxImporter;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.text.TextTokenizer;

/**
 * Loads one version directory of the repository ({@code <repository>/<model>/<version>/})
 * into a {@link ModelVersion}, checking that its {@code model.yaml} fits its signature.
 */
public final class ModelLoader {

	private final SessionSettings sessionSettings;

	public ModelLoader(SessionSettings sessionSettings) {
		this.sessionSettings = sessionSettings;
	}

	/**
	 * The highest numbered version directory that holds a {@code saved_model.pb}.
	 * Directories whose names are not numbers (such as staging directories, which start
	 * with a dot) are never versions.
	 */
	public static OptionalLong latestVersion(Path modelDirectory) {
		if (!Files.isDirectory(modelDirectory)) {
			return OptionalLong.empty();
		}
		try (Stream<Path> children = Files.list(modelDirectory)) {
			return children.filter((path) -> path.getFileName().toString().matches("[0-9]{1,18}"))
				.filter((path) -> Files.isRegularFile(path.resolve("saved_model.pb")))
				.mapToLong((path) -> Long.parseLong(path.getFileName().toString()))
				.max();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	public ModelVersion load(String model, Path modelDirectory, long version, EinoProperties.Model overrides) {
		Path versionDirectory = modelDirectory.resolve(Long.toString(version));
		ModelDescriptor descriptor = withOverrides(readDescriptor(modelDirectory, versionDirectory), overrides);
		Path tokenizerFile = firstExisting(versionDirectory.resolve(descriptor.tokenizer()),
				modelDirectory.resolve(descriptor.tokenizer()));
		SavedModelRunner runner = SavedModelRunner.load(versionDirectory, this.sessionSettings);
		try {
			check(descriptor, runner);
			TextTokenizer tokenizer = TextTokenizer.load(tokenizerFile, descriptor.maxTokens(), descriptor.overflow());
			return new ModelVersion(model, version, descriptor, runner, tokenizer);
		}
		catch (RuntimeException ex) {
			runner.close();
			throw ex;
		}
	}

	private static ModelDescriptor readDescriptor(Path modelDirectory, Path versionDirectory) {
		Path inVersion = versionDirectory.resolve(ModelDescriptor.FILE_NAME);
		Path file = Files.isRegularFile(inVersion) ? inVersion : modelDirectory.resolve(ModelDescriptor.FILE_NAME);
		if (!Files.isRegularFile(file)) {
			throw new IllegalArgumentException("No " + ModelDescriptor.FILE_NAME + " in " + modelDirectory);
		}
		return ModelDescriptor.read(file);
	}

	private static ModelDescriptor withOverrides(ModelDescriptor descriptor, EinoProperties.Model overrides) {
		if (overrides == null) {
			return descriptor;
		}
		return new ModelDescriptor(descriptor.task(), descriptor.signature(), descriptor.tokenizer(),
				(overrides.maxTokens() != null) ? overrides.maxTokens() : descriptor.maxTokens(),
				(overrides.overflow() != null) ? overrides.overflow() : descriptor.overflow(), descriptor.labels(),
				descriptor.output());
	}

	private static Path firstExisting(Path first, Path second) {
		if (Files.isRegularFile(first)) {
			return first;
		}
		if (Files.isRegularFile(second)) {
			return second;
		}
		throw new IllegalArgumentException("Tokenizer file " + first.getFileName() + " not found in "
				+ first.getParent() + " or " + second.getParent());
	}

	private static void check(ModelDescriptor descriptor, SavedModelRunner runner) {
		SignatureSpec signature = runner.signatures().get(descriptor.signature());
		if (signature == null) {
			throw new IllegalArgumentException("The SavedModel has no signature '" + descriptor.signature() + "' (has "
					+ runner.signatures().keySet() + ")");
		}
		for (String input : OnnxImporter.TOKEN_INPUTS) {
			if (!signature.hasInput(input)) {
				throw new IllegalArgumentException(
						"Signature '" + descriptor.signature() + "' lacks the token input '" + input + "'");
			}
		}
		if (!signature.hasOutput(descriptor.output())) {
			throw new IllegalArgumentException(
					"Signature '" + descriptor.signature() + "' has no output '" + descriptor.output() + "'");
		}
	}

}
