package io.eino.serving.server;

import io.eino.serving.error.ErrorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.netty.resources.LoopResources;

import org.springframework.boot.actuate.autoconfigure.web.server.ConditionalOnManagementPort;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * The management port's connection limits, and its own event-loop thread, so that probes
 * and metrics are answered while the public port is saturated. Listed in
 * {@code META-INF/spring/...ManagementContextConfiguration.imports}: Spring Boot adds it
 * to the management server's context. Not annotated as a configuration, so component
 * scanning leaves it out of the main context, where its customizer would apply the
 * management port's limits to the public port as well; and only where management has a
 * port of its own.
 */
@ConditionalOnManagementPort(ManagementPortType.DIFFERENT)
class ManagementServerConfiguration {

	@Bean(destroyMethod = "dispose")
	LoopResources managementLoop() {
		return LoopResources.create("eino-management", 1, true);
	}

	@Bean
	WebServerFactoryCustomizer<NettyReactiveWebServerFactory> managementConnectionLimits(ServerLimits limits,
			LoopResources managementLoop, ErrorMetrics errors, MeterRegistry meters) {
		return (factory) -> factory
			.addServerCustomizers((server) -> ConnectionSettings
				.apply(server, limits,
						new ConnectionLimit(limits.managementMaxConnections(), limits.managementMaxConnections(),
								"management", meters, System::nanoTime),
						new DecodeFailures(errors))
				.runOn(managementLoop));
	}

}
