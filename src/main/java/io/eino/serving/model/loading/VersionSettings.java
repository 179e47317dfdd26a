package io.eino.serving.model.loading;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

import io.eino.serving.batching.BatchingOptions;
import io.eino.serving.model.ServedModels;
import io.eino.serving.repository.ModelDescriptor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.runtime.TensorSpec;

/**
 * What a version is built with, the read step of a build: its {@code model.yaml} (in the
 * version directory, else the model's) with the configured overrides, and the batching
 * options of its queue from {@code eino.batching.*}, {@code eino.admission.*} and the
 * model's {@code pad-to}.
 */
final class VersionSettings {

	private VersionSettings() {
	}

	/** The version's descriptor with the model's configured overrides applied. */
	static ModelDescriptor descriptor(Path modelDirectory, Path versionDirectory, ServedModels.Settings overrides) {
		return withOverrides(read(modelDirectory, versionDirectory), overrides);
	}

	/**
	 * Whether the version has a text pipeline: a {@code model.yaml} in its directory or
	 * its model's.
	 */
	static boolean hasDescriptor(Path modelDirectory, Path versionDirectory) {
		return Files.isRegularFile(versionDirectory.resolve(ModelDescriptor.FILE_NAME))
				|| Files.isRegularFile(modelDirectory.resolve(ModelDescriptor.FILE_NAME));
	}

	static BatchingOptions batchingOptions(ModelDescriptor descriptor, ServedModels.Settings overrides,
			BatchingProperties batching, AdmissionProperties admission) {
		Integer padTo = (overrides != null) ? overrides.padTo() : null;
		List<Integer> lengths;
		if (padTo != null) {
			if (padTo < descriptor.maxTokens()) {
				throw new IllegalArgumentException(
						"pad-to " + padTo + " is shorter than the model's max tokens " + descriptor.maxTokens());
			}
			lengths = List.of(padTo);
		}
		else {
			TreeSet<Integer> allowed = new TreeSet<>();
			batching.allowedLengths()
				.stream()
				.filter((length) -> length < descriptor.maxTokens())
				.forEach(allowed::add);
			allowed.add(descriptor.maxTokens());
			lengths = List.copyOf(allowed);
		}
		if (!batching.enabled()) {
			return new BatchingOptions(1, Duration.ZERO, batching.queueCapacity(), lengths, admission.maxQueueTime(),
					admission.priorityLead());
		}
		return new BatchingOptions(batching.maxBatchSize(), batching.maxQueueDelay(), batching.queueCapacity(), lengths,
				admission.maxQueueTime(), admission.priorityLead(), batching.maxBatchTokens());
	}

	/**
	 * The options of a raw-tensor version's batch queues ({@code eino.batching.*},
	 * {@code eino.admission.*}); null when batching is off.
	 */
	static BatchingOptions tensorBatchingOptions(BatchingProperties batching, AdmissionProperties admission) {
		if (!batching.enabled()) {
			return null;
		}
		return new BatchingOptions(batching.maxBatchSize(), batching.maxQueueDelay(), batching.queueCapacity(),
				List.of(1), admission.maxQueueTime(), admission.priorityLead());
	}

	private static ModelDescriptor read(Path modelDirectory, Path versionDirectory) {
		Path inVersion = versionDirectory.resolve(ModelDescriptor.FILE_NAME);
		Path file = Files.isRegularFile(inVersion) ? inVersion : modelDirectory.resolve(ModelDescriptor.FILE_NAME);
		if (!Files.isRegularFile(file)) {
			throw new IllegalArgumentException("No " + ModelDescriptor.FILE_NAME + " in " + modelDirectory);
		}
		return ModelDescriptor.read(file);
	}

	private static ModelDescriptor withOverrides(ModelDescriptor descriptor, ServedModels.Settings overrides) {
		if (overrides == null) {
			return descriptor;
		}
		return descriptor.withLimits((overrides.maxTokens() != null) ? overrides.maxTokens() : descriptor.maxTokens(),
				(overrides.overflow() != null) ? overrides.overflow() : descriptor.overflow());
	}

	/** {@code first} when it is a file, else {@code second} when that is. */
	static Path firstExisting(Path first, Path second) {
		if (Files.isRegularFile(first)) {
			return first;
		}
		if (Files.isRegularFile(second)) {
			return second;
		}
		throw new IllegalArgumentException("Tokenizer file " + first.getFileName() + " not found in "
				+ first.getParent() + " or " + second.getParent());
	}

	/** Checks that the runner's signatures have what the descriptor names. */
	static void check(ModelDescriptor descriptor, SavedModelRunner runner) {
		SignatureSpec signature = runner.signatures().get(descriptor.signature());
		if (signature == null) {
			throw new IllegalArgumentException("The SavedModel has no signature '" + descriptor.signature() + "' (has "
					+ runner.signatures().keySet() + ")");
		}
		for (String input : SavedModelRunner.TOKEN_INPUTS) {
			if (!signature.hasInput(input)) {
				throw new IllegalArgumentException(
						"Signature '" + descriptor.signature() + "' lacks the token input '" + input + "'");
			}
		}
		TensorSpec output = signature.outputs()
			.stream()
			.filter((candidate) -> candidate.name().equals(descriptor.output()))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException(
					"Signature '" + descriptor.signature() + "' has no output '" + descriptor.output() + "'"));
		int rank = output.shape().length;
		if (descriptor.task() == ModelDescriptor.Task.EMBEDDING && rank > 0) {
			int wanted = descriptor.pooling().pools() ? 3 : 2;
			if (rank != wanted) {
				throw new IllegalArgumentException("Output '" + descriptor.output() + "' has rank " + rank + ", and "
						+ (descriptor.pooling().pools()
								? "pooling " + descriptor.pooling().mode().name().toLowerCase(Locale.ROOT)
										+ " needs one vector per token, [batch, sequence, hidden]"
								: "pooling none needs one vector per text, [batch, hidden]; set pooling: mean or cls"));
			}
		}
	}

}
