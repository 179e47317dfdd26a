package io.eino.serving.sentiment;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Offers the bundled default model to the lifecycle, which installs it on first start.
 */
@Configuration(proxyBeanMethods = false)
class DefaultModelConfiguration {

	@Bean
	DefaultModelInstaller defaultModelInstaller() {
		return new DefaultModelInstaller();
	}

}
