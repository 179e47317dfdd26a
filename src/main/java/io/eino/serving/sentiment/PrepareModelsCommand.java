package io.eino.serving.sentiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.text.TextTokenizer;

/**
 * {@code prepare-models --repository DIR}: prepares the bundled default model in a model
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
		boolean prepared = new DefaultModelInstaller().installIfMissing(repository);
		// Loading the tokenizer checks it, and leaves the tokenizers' native library in
		// DJL's cache (DJL_CACHE_DIR): the image ships that cache, so that a read-only
		// container loads the library in place instead of extracting it.
		ModelDescriptor descriptor = DefaultModel.descriptor();
		Path version = repository.resolve(DefaultModel.NAME).resolve(Long.toString(DefaultModel.VERSION));
		TextTokenizer.load(version.resolve(descriptor.tokenizer()), descriptor.maxTokens(), descriptor.overflow())
			.close();
		System.out.println(((prepared) ? "Prepared" : "Already present:") + " model '" + DefaultModel.NAME
				+ "' version " + DefaultModel.VERSION + " in " + repository.toAbsolutePath());
	}

}
