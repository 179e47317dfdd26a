package io.eino.serving.server;

import io.eino.serving.error.ErrorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.netty.resources.LoopResources;

import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * The management port's connection limits, and its own event-loop thread, so that probes
 * and metrics are answered while the public port is saturated. Listed in
 * {@code META-INF/spring/...ManagementContextConfiguration.imports}: Spring Boot adds it
 * to the management server's context.
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
class ManagementServerConfiguration {

	@Bean(destroyMethod = "dispose")
	LoopResources managementLoop() {
		return LoopResources.create("eino-management", 1, true);
	}

	@Bean
	WebServerFactoryCustomizer<NettyReactiveWebServerFactory> managementConnectionLimits(ServerLimits limits,
			LoopResources managementLoop, ErrorMetrics errors, MeterRegistry meters) {
		return (factory) -> factory.addServerCustomizers(
				(server) -> ConnectionSettings
					.apply(server, limits,
							new ConnectionLimit(limits.managementMaxConnections(), "management", meters,
									System::nanoTime),
							new DecodeFailures(errors))
					.runOn(managementLoop));
	}

}
