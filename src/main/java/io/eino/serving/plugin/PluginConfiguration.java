package io.eino.serving.plugin;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The plugins: the two that ship ({@code eino.plugins.audit.enabled},
 * {@code eino.plugins.pii-masking.enabled}) and every other {@link InferencePlugin} bean.
 */
@Configuration(proxyBeanMethods = false)
class PluginConfiguration {

	@Bean
	@ConditionalOnBooleanProperty("eino.plugins.audit.enabled")
	AuditLogPlugin auditLogPlugin(PluginProperties properties) {
		return new AuditLogPlugin(properties.audit().includeText());
	}

	@Bean
	@ConditionalOnBooleanProperty("eino.plugins.pii-masking.enabled")
	PiiMaskingPlugin piiMaskingPlugin(PluginProperties properties) {
		return PiiMaskingPlugin.of(properties.piiMasking().kinds());
	}

	@Bean
	Plugins plugins(ObjectProvider<InferencePlugin> plugins) {
		return new Plugins(plugins.orderedStream().toList());
	}

}
