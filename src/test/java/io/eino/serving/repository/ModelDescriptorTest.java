package io.eino.serving.repository;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.eino.serving.runtime.Pooling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * {@code model.yaml}'s pooling settings: read, written back, and refused where they make
 * no sense.
 */
class ModelDescriptorTest {

	@TempDir
	Path directory;

	@Test
	void readsAndWritesAnEncodersPooling() throws IOException {
		ModelDescriptor descriptor = read("""
				task: embedding
				output: last_hidden_state
				pooling: cls
				normalize: true
				""");
		assertThat(descriptor.pooling()).isEqualTo(new Pooling(Pooling.Mode.CLS, true));
		assertThat(descriptor.output()).isEqualTo("last_hidden_state");
		descriptor.write(this.directory.resolve("copy.yaml"));
		assertThat(ModelDescriptor.read(this.directory.resolve("copy.yaml"))).isEqualTo(descriptor);
	}

	@Test
	void anEmbeddingModelsOutputIsServedAsItIsUnlessTold() throws IOException {
		assertThat(read("task: embedding\noutput: sentence_embedding\n").pooling()).isEqualTo(Pooling.NONE);
		assertThat(read("labels: [a, b]\n").pooling()).isEqualTo(Pooling.NONE);
	}

	@Test
	void refusesPoolingItCannotApply() {
		assertThatIllegalArgumentException().isThrownBy(() -> read("labels: [a, b]\npooling: mean\n"))
			.withMessageContaining("pooling and normalize apply to embedding models only");
		assertThatIllegalArgumentException().isThrownBy(() -> read("task: embedding\npooling: max\n"))
			.withMessageContaining("MAX");
		assertThatIllegalArgumentException().isThrownBy(() -> read("task: embedding\nnormalize: sometimes\n"))
			.withMessageContaining("normalize must be true or false");
	}

	private ModelDescriptor read(String yaml) throws IOException {
		Path file = this.directory.resolve(ModelDescriptor.FILE_NAME);
		Files.writeString(file, yaml);
		return ModelDescriptor.read(file);
	}

}
