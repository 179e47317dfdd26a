package io.eino.serving.api;

import io.eino.serving.model.lifecycle.ModelLifecycle;
import io.eino.serving.model.ModelRegistry;

import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The service's own endpoints on the management port (8081): listed in
 * {@code META-INF/spring/...ManagementContextConfiguration.imports}, so Spring Boot adds
 * it to the management server's context (or to the main one when both share a port). Not
 * annotated, so component scanning leaves it out of the public port.
 */
class ManagementApiConfiguration {

	@Bean
	RouterFunction<ServerResponse> repositoryControl(ModelLifecycle lifecycle, ModelRegistry registry) {
		return new RepositoryController(lifecycle, registry).routes();
	}

}
