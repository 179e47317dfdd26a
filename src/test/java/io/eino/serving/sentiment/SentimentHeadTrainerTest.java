package io.eino.serving.sentiment;

import io.eino.serving.TestTags;
import io.eino.serving.importer.ClassifierHead;
import io.eino.serving.sentiment.DefaultModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The training command reproduces the committed head.
 */
@Tag(TestTags.TENSORFLOW)
class SentimentHeadTrainerTest {

	@Test
	void trainingReproducesTheCommittedHead() throws Exception {
		ClassifierHead committed = DefaultModel.head();
		SentimentHeadTrainer.Outcome outcome = TrainSentimentHeadCommand.trainDefault();
		ClassifierHead trained = outcome.head();
		assertThat(trained.labels()).isEqualTo(committed.labels());
		double largest = 0;
		for (int label = 0; label < committed.labels().size(); label++) {
			largest = Math.max(largest, Math.abs(trained.bias()[label] - committed.bias()[label]));
			for (int i = 0; i < committed.embeddingSize(); i++) {
				largest = Math.max(largest, Math.abs(trained.weights()[label][i] - committed.weights()[label][i]));
			}
		}
		System.out.printf("retrained head: %d examples, training accuracy %.4f, largest weight difference %.3g%n",
				outcome.examples(), outcome.trainingAccuracy(), largest);
		assertThat(outcome.examples()).isEqualTo(((Number) committed.provenance().get("examples")).intValue());
		assertThat(largest).isLessThan(1e-3);
		assertThat(outcome.trainingAccuracy()).isGreaterThan(0.9);
	}

}
