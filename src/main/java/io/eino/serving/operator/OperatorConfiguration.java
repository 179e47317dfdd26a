package io.eino.serving.operator;

import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.OpList;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The operator registry, with every {@link OperatorDefinition} bean, and the TensorFlow
 * custom-op libraries of {@code eino.operators.custom-op-libraries}, loaded before any
 * model (which the registry precedes) so that their ops resolve when graphs load.
 */
@Configuration(proxyBeanMethods = false)
class OperatorConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(OperatorConfiguration.class);

	@Bean
	OperatorRegistry operatorRegistry(ObjectProvider<OperatorDefinition> definitions, OperatorProperties properties) {
		for (Path library : properties.customOpLibraries()) {
			loadLibrary(library);
		}
		return new OperatorRegistry(definitions.orderedStream().toList());
	}

	/**
	 * Loads a TensorFlow custom-op library.
	 * @throws IllegalStateException naming the library and why it failed
	 */
	static OpList loadLibrary(Path library) {
		if (!Files.isRegularFile(library)) {
			throw new IllegalStateException("TensorFlow custom-op library " + library
					+ " does not exist or is not a file (eino.operators.custom-op-libraries)");
		}
		try {
			OpList ops = TensorFlow.loadLibrary(library.toAbsolutePath().toString());
			logger.info("Loaded TensorFlow custom-op library {}: ops {}", library,
					ops.getOpList().stream().map((op) -> op.getName()).toList());
			return ops;
		}
		catch (RuntimeException | UnsatisfiedLinkError ex) {
			throw new IllegalStateException("TensorFlow could not load custom-op library " + library + ": "
					+ ex.getMessage() + " (eino.operators.custom-op-libraries)", ex);
		}
	}

}
