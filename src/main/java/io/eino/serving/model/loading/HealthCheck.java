package io.eino.serving.model.loading;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.eino.serving.batching.BatchQueue;
import io.eino.serving.batching.BatchTask;
import io.eino.serving.operator.Pipeline;
import io.eino.serving.repository.RepositoryProperties;
import io.eino.serving.runtime.TokenSequence;
import io.eino.serving.text.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step of a build: a probe text through the new version's own pipeline,
 * tokenizer, batch queue and runners, the path real requests take. It passes when the
 * output arrives within the timeout and every value is finite; a failed attempt is
 * retried up to the configured number of times, then the version is refused.
 */
final class HealthCheck {

	private static final Logger logger = LoggerFactory.getLogger(HealthCheck.class);

	/** Plain English, well inside every BERT vocabulary and length. */
	static final String PROBE_TEXT = "The service checks that this new model version answers.";

	private final RepositoryProperties.HealthCheck settings;

	HealthCheck(RepositoryProperties.HealthCheck settings) {
		this.settings = settings;
	}

	/** Returns null when healthy; throws the last attempt's failure otherwise. */
	Void check(String model, long version, Pipeline pipeline, TextTokenizer tokenizer,
			BatchQueue<TokenSequence, float[]> queue) {
		IllegalStateException failure = null;
		for (int attempt = 1; attempt <= this.settings.retries() + 1; attempt++) {
			try {
				probe(pipeline, tokenizer, queue);
				logger.info("Model '{}' version {} passed its health check (attempt {})", model, version, attempt);
				return null;
			}
			catch (IllegalStateException ex) {
				failure = ex;
				logger.warn("Model '{}' version {} health check attempt {} of {} failed: {}", model, version, attempt,
						this.settings.retries() + 1, ex.getMessage());
			}
		}
		throw failure;
	}

	private void probe(Pipeline pipeline, TextTokenizer tokenizer, BatchQueue<TokenSequence, float[]> queue) {
		long timeout = this.settings.timeout().toNanos();
		TokenSequence tokens = tokenizer.encodeEach(List.of(pipeline.preprocess(PROBE_TEXT)), 1.0).get(0);
		BatchTask<TokenSequence, float[]> task = new BatchTask<>(tokens, tokens.length(), System.nanoTime() + timeout,
				BatchTask.NORMAL_PRIORITY);
		try {
			queue.submit(List.of(task));
			float[] output = task.result().get(timeout, TimeUnit.NANOSECONDS);
			if (output.length == 0) {
				throw new IllegalStateException("the probe's output is empty");
			}
			for (float value : output) {
				if (!Float.isFinite(value)) {
					throw new IllegalStateException("the probe's output holds " + value);
				}
			}
		}
		catch (TimeoutException ex) {
			task.cancel();
			throw new IllegalStateException("no answer to the probe within " + this.settings.timeout());
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException("the probe failed: " + ex.getCause().getMessage(), ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted");
		}
		catch (RuntimeException ex) {
			if (ex instanceof IllegalStateException) {
				throw ex;
			}
			throw new IllegalStateException("the probe failed: " + ex.getMessage(), ex);
		}
	}

}
