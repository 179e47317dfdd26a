package io.eino.serving.inference;

import io.eino.serving.EinoProperties;
import io.eino.serving.model.ModelRegistry;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The inference service and its runner threads ({@code eino-runner-N}).
 */
@Configuration(proxyBeanMethods = false)
class InferenceConfiguration {

	/** Session runs waiting for a runner thread before new ones are refused. */
	private static final int RUNNER_QUEUE_CAPACITY = 10_000;

	@Bean(destroyMethod = "dispose")
	Scheduler runnerScheduler(EinoProperties properties) {
		return Schedulers.newBoundedElastic(properties.runtime().effectiveRunnerThreads(), RUNNER_QUEUE_CAPACITY,
				"eino-runner");
	}

	@Bean
	InferenceService inferenceService(ModelRegistry registry, Scheduler runnerScheduler) {
		return new InferenceService(registry, runnerScheduler);
	}

}
