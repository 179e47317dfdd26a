package io.eino.serving.api;

import java.io.IOException;
import java.nio.file.Path;

import io.eino.serving.TensorModels;
import io.eino.serving.TestModels;
import io.eino.serving.TestTags;
import io.eino.serving.sentiment.DefaultModel;
import io.eino.serving.sentiment.DefaultModelInstaller;

import org.junit.jupiter.api.Tag;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The one Spring context of the end-to-end API tests that run the service as a user gets
 * it: every setting at its default, the two bundled models (sentiment and the
 * {@value #EMBEDDINGS} embedding model) installed as on a first start and served side by
 * side from one repository, with the two SavedModels without a text pipeline of
 * {@link TensorModels}. Test classes that extend it share the running service (Spring's
 * context cache) instead of each loading the model again.
 */
@Tag(TestTags.TENSORFLOW)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "PT60S")
// Metrics exported as in production (the deployment checks read the Prometheus scrape).
@AutoConfigureMetrics
public abstract class DefaultServingContext {

	/** The default model's version. */
	public static final String V = Long.toString(DefaultModel.VERSION);

	/** The bundled embedding model. */
	public static final String EMBEDDINGS = DefaultModel.EMBEDDING_NAME;

	/** Its version. */
	public static final String EMBEDDINGS_V = Long.toString(DefaultModel.EMBEDDING_VERSION);

	@DynamicPropertySource
	static void repository(DynamicPropertyRegistry registry) throws IOException {
		Path repository = TestModels.repository();
		DefaultModelInstaller.embeddings().installIfMissing(repository);
		registry.add("eino.repository.path", repository::toString);
		registry.add("eino.models." + EMBEDDINGS + ".enabled", () -> "true");
		TensorModels.install(repository);
		registry.add("eino.models." + TensorModels.PIXELS + ".enabled", () -> "true");
		registry.add("eino.models." + TensorModels.MIXED + ".enabled", () -> "true");
	}

}
