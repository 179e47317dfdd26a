package io.eino.serving.sentiment;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Offers the bundled default models to the lifecycle, which installs those it serves on
 * first start.
 */
@Configuration(proxyBeanMethods = false)
class DefaultModelConfiguration {

	@Bean
	DefaultModelInstaller defaultModelInstaller() {
		return new DefaultModelInstaller();
	}

	@Bean
	DefaultModelInstaller embeddingModelInstaller() {
		return DefaultModelInstaller.embeddings();
	}

}
