package io.eino.serving.sentiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.text.TextTokenizer;

/**
 * {@code prepare-models --repository DIR}: prepares the bundled default models in a model
 * repository ahead of time, exactly as the service does on a first start, and exits. The
 * container image runs it while it is built (docs/deployment.md, "Container image"), so
 * that a pod finds the model ready and never imports at start.
 */
public final class PrepareModelsCommand {

	private PrepareModelsCommand() {
	}

	public static void main(String[] args) throws IOException {
		if (args.length != 2 || !args[0].equals("--repository")) {
			System.err.println("usage: prepare-models --repository DIR");
			System.exit(2);
		}
		Path repository = Path.of(args[1]);
		Files.createDirectories(repository);
		for (DefaultModelInstaller installer : DefaultModelInstaller.all()) {
			boolean prepared = installer.installIfMissing(repository);
			// Loading the tokenizer checks it, and leaves the tokenizers' native library
			// in
			// DJL's cache (DJL_CACHE_DIR): the image ships that cache, so that a
			// read-only
			// container loads the library in place instead of extracting it.
			ModelDescriptor descriptor = installer.descriptor();
			Path version = repository.resolve(installer.model()).resolve(Long.toString(installer.version()));
			TextTokenizer.load(version.resolve(descriptor.tokenizer()), descriptor.maxTokens(), descriptor.overflow())
				.close();
			System.out.println(((prepared) ? "Prepared" : "Already present:") + " model '" + installer.model()
					+ "' version " + installer.version() + " in " + repository.toAbsolutePath());
		}
	}

}
