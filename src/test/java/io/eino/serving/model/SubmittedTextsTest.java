package io.eino.serving.model;

import java.util.List;
import java.util.concurrent.CompletionException;

import io.eino.serving.batching.BatchTask;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a request sees of its texts in the queue: rows in request order once settled, the
 * first failure when one failed, the longest wait and largest batch, and cancelling.
 */
class SubmittedTextsTest {

	@Test
	void rowsComeInRequestOrderWithTheLongestWaitAndLargestBatch() {
		BatchTask<String, float[]> first = task();
		BatchTask<String, float[]> second = task();
		SubmittedTexts texts = new SubmittedTexts(List.of(first, second));
		second.markStarted(8, 3_000);
		second.result().complete(new float[] { 2 });
		assertThat(texts.settled()).isNotDone();
		first.markStarted(3, 5_000);
		first.result().complete(new float[] { 1 });
		assertThat(texts.settled()).isCompleted();
		assertThat(texts.rows()).containsExactly(new float[] { 1 }, new float[] { 2 });
		assertThat(texts.queueNanos()).isEqualTo(5_000);
		assertThat(texts.batchSize()).isEqualTo(8);
	}

	@Test
	void aFailedTextSettlesWithoutFailingAndItsFailureComesWithTheRows() {
		BatchTask<String, float[]> ok = task();
		BatchTask<String, float[]> failed = task();
		SubmittedTexts texts = new SubmittedTexts(List.of(ok, failed));
		ok.result().complete(new float[] { 1 });
		failed.result().completeExceptionally(new IllegalStateException("the run failed"));
		assertThat(texts.settled()).isCompletedWithValue(null);
		assertThatThrownBy(texts::rows).isInstanceOf(CompletionException.class).hasMessageContaining("the run failed");
	}

	@Test
	void allStartedOnceEveryTextHasStarted() {
		BatchTask<String, float[]> first = task();
		BatchTask<String, float[]> second = task();
		SubmittedTexts texts = new SubmittedTexts(List.of(first, second));
		int[] calls = new int[1];
		texts.whenAllStarted(() -> calls[0]++);
		first.markStarted(2, 1);
		assertThat(calls[0]).isZero();
		second.markStarted(2, 1);
		assertThat(calls[0]).isEqualTo(1);
	}

	@Test
	void cancelTakesTheTextsThatHaveNotRunOut() {
		BatchTask<String, float[]> done = task();
		BatchTask<String, float[]> waiting = task();
		done.result().complete(new float[] { 1 });
		new SubmittedTexts(List.of(done, waiting)).cancel();
		assertThat(done.result().join()).containsExactly(1);
		assertThat(waiting.result()).isCancelled();
	}

	private static BatchTask<String, float[]> task() {
		return new BatchTask<>("text", 4, System.nanoTime() + 1_000_000_000L, BatchTask.NORMAL_PRIORITY);
	}

}
