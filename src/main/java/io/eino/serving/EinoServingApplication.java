package io.eino.serving;

import java.util.Arrays;

import io.eino.serving.importer.ImportOnnxCommand;
import io.eino.serving.security.ModelPackageCommand;
import io.eino.serving.sentiment.PrepareModelsCommand;
import io.eino.serving.sentiment.TrainSentimentHeadCommand;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Starts the service, or runs one of the offline commands given as the first argument:
 * {@code import-onnx}, {@code train-sentiment-head}, {@code prepare-models} (the default
 * model into a repository, for container images) or {@code eino-model}
 * ({@code seal | open | inspect} of encrypted model packages).
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class EinoServingApplication {

	public static void main(String[] args) throws Exception {
		String command = (args.length > 0) ? args[0] : "";
		String[] rest = (args.length > 0) ? Arrays.copyOfRange(args, 1, args.length) : args;
		switch (command) {
			case "import-onnx" -> ImportOnnxCommand.main(rest);
			case "train-sentiment-head" -> TrainSentimentHeadCommand.main(rest);
			case "eino-model" -> ModelPackageCommand.main(rest);
			case "prepare-models" -> PrepareModelsCommand.main(rest);
			default -> SpringApplication.run(EinoServingApplication.class, args);
		}
	}

}
