package io.eino.serving.model.loading;

import java.nio.file.Path;

import io.eino.serving.repository.RepositoryProperties;
import io.eino.serving.runtime.RuntimeLayout;
import io.eino.serving.validation.ValidationProperties;

/**
 * The settings that shape every build of a version ({@link ModelLoader}), gathered from
 * the features that own them.
 *
 * @param repository the health check and the drain timeout of replaced versions
 * @param runtime the runners per version and their sessions' threads
 * @param batching how the version's queue forms batches
 * @param admission which requests the version's queue still takes
 * @param plaintextDirectory where sealed packages are decrypted; null = the default
 * @param validation the input limits of every model, which a model's settings may
 * override (the tokenizer's unknown-token check is the version's)
 */
public record BuildSettings(RepositoryProperties repository, RuntimeLayout runtime, BatchingProperties batching,
		AdmissionProperties admission, Path plaintextDirectory, ValidationProperties validation) {
}
