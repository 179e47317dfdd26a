package io.eino.serving.sentiment;

import java.nio.file.Files;
import java.nio.file.Path;

import io.eino.serving.importer.OnnxImporter;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SessionSettings;
import io.eino.serving.text.Overflow;
import io.eino.serving.text.TextTokenizer;

/**
 * {@code train-sentiment-head [output.json]}: reproduces the default model's sentiment
 * head (default output {@code src/main/resources/models/sentiment/head.json}).
 */
public final class TrainSentimentHeadCommand {

	private TrainSentimentHeadCommand() {
	}

	public static void main(String[] args) throws Exception {
		Path output = Path.of((args.length > 0) ? args[0] : "src/main/resources/models/sentiment/head.json");
		SentimentHeadTrainer.Outcome outcome = trainDefault();
		outcome.head().write(output);
		System.out.printf("Trained on %d VADER lexicon entries, training accuracy %.4f, written to %s%n",
				outcome.examples(), outcome.trainingAccuracy(), output.toAbsolutePath());
	}

	/** Trains the head on the bundled encoder with the default recipe. */
	public static SentimentHeadTrainer.Outcome trainDefault() throws Exception {
		Path work = Files.createTempDirectory("eino-train-");
		try {
			Path encoder = work.resolve("encoder");
			new OnnxImporter().importModel(DefaultModel.extractOnnx(work), encoder, null);
			try (SavedModelRunner runner = SavedModelRunner.load(encoder, SessionSettings.DEFAULT);
					TextTokenizer tokenizer = TextTokenizer.load(DefaultModel.extractTokenizer(work),
							DefaultModel.MAX_TOKENS, Overflow.TRUNCATE)) {
				return new SentimentHeadTrainer().train(new EncoderEmbedder(runner, tokenizer),
						SentimentHeadTrainer.Recipe.DEFAULT);
			}
		}
		finally {
			org.springframework.util.FileSystemUtils.deleteRecursively(work);
		}
	}

}
