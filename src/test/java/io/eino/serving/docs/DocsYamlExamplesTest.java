package io.eino.serving.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.model.ServedModels;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import io.eino.serving.validation.ValidationOverrides;
import io.eino.serving.validation.ValidationProperties;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ByteArrayResource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The per-model validation example of docs/request-path.md, bound from the document as
 * Spring Boot binds an {@code application.yaml}: the model it names takes "I <3 this
 * movie" and refuses a URL; the other models keep the defaults.
 */
class DocsYamlExamplesTest {

	@Test
	void theModelYamlOfTheRepositoryDocsIsADescriptorTheServiceReads(@org.junit.jupiter.api.io.TempDir Path directory)
			throws IOException {
		io.eino.serving.repository.ModelDescriptor descriptor = modelYaml("models.md", "task: classification",
				directory);
		assertThat(descriptor.labels()).containsExactly("negative", "positive");
		assertThat(descriptor.maxTokens()).isEqualTo(256);
		assertThat(descriptor.output()).isEqualTo("probabilities");
	}

	@Test
	void theEmbeddingModelYamlIsTheBundledModelsDescriptor(@org.junit.jupiter.api.io.TempDir Path directory)
			throws IOException {
		assertThat(modelYaml("embeddings.md", "task: embedding", directory))
			.isEqualTo(io.eino.serving.sentiment.DefaultModel.embeddingDescriptor());
	}

	/**
	 * The {@code model.yaml} example of {@code docs/<page>} whose yaml block starts with
	 * {@code firstLine}, read as the service reads a descriptor.
	 */
	private static io.eino.serving.repository.ModelDescriptor modelYaml(String page, String firstLine, Path directory)
			throws IOException {
		String markdown = Files.readString(Path.of("docs", page));
		int start = markdown.indexOf("```yaml\n" + firstLine);
		assertThat(start).as("the model.yaml example in docs/" + page).isNotNegative();
		Path file = directory.resolve("model.yaml");
		Files.writeString(file, markdown.substring(start + "```yaml\n".length(), markdown.indexOf("```", start + 7)));
		return io.eino.serving.repository.ModelDescriptor.read(file);
	}

	@Test
	void thePerModelDenyPatternExampleDoesWhatItSays() throws IOException {
		String markdown = Files.readString(Path.of("docs", "request-path.md"));
		int start = markdown.indexOf("```yaml\neino:\n  models:\n    sentiment:\n      validation:");
		assertThat(start).as("the example in docs/request-path.md").isNotNegative();
		String yaml = markdown.substring(start + "```yaml\n".length(), markdown.indexOf("```", start + 7));
		StandardEnvironment environment = new StandardEnvironment();
		new YamlPropertySourceLoader().load("example", new ByteArrayResource(yaml.getBytes()))
			.forEach(environment.getPropertySources()::addFirst);
		Binder binder = new Binder(ConfigurationPropertySources.get(environment));
		ServedModels models = binder.bind("eino", ServedModels.class).get();
		ValidationProperties defaults = binder.bindOrCreate("eino.validation", ValidationProperties.class);
		Map<String, ValidationOverrides> overrides = new HashMap<>();
		models.models().forEach((name, model) -> overrides.put(name, model.validation()));
		InputPolicies policies = new InputPolicies(defaults, overrides);

		assertThat(policies.forModel("sentiment").validate(List.of("I <3 this movie"))).hasSize(1);
		assertThatExceptionOfType(InvalidInputException.class)
			.isThrownBy(() -> policies.forModel("sentiment").validate(List.of("see https://example.com")));
		assertThat(policies.forModel("sentiment").limits().maxCharacters()).isEqualTo(2048);
		assertThatExceptionOfType(InvalidInputException.class)
			.isThrownBy(() -> policies.forModel("embeddings").validate(List.of("I <3 this movie")));
	}

}
