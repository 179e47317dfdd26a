package io.eino.serving;

import java.util.Arrays;

import sun.misc.Signal;

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
			default -> {
				exitZeroOnSigterm();
				SpringApplication.run(EinoServingApplication.class, args);
			}
		}
	}

	/**
	 * SIGTERM is how an orchestrator asks the service to stop: it stops as on any orderly
	 * exit (the shutdown hooks drain and close the context, docs/traffic.md, "Shutdown")
	 * and exits 0, not the JVM's 143, so that a stop that drained cleanly does not read
	 * as a failure. A second SIGTERM while stopping changes nothing.
	 */
	private static void exitZeroOnSigterm() {
		Signal.handle(new Signal("TERM"), (signal) -> new Thread(() -> System.exit(0), "eino-sigterm").start());
	}

}
