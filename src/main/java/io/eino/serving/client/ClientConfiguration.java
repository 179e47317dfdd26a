package io.eino.serving.client;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The client resolver, from {@code eino.clients.*} and {@code eino.security.*}.
 */
@Configuration(proxyBeanMethods = false)
class ClientConfiguration {

	@Bean
	ClientResolver clientResolver(ClientProperties clients, SecurityProperties security) {
		return new ClientResolver(clients, security);
	}

}
