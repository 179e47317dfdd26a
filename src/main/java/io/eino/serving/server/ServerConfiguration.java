package io.eino.serving.server;

import io.eino.serving.error.ErrorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.resources.LoopResources;

import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The public port's connection limits, the drain on shutdown and the filter that closes
 * connections when it must. The management port's limits are in
 * {@link ManagementServerConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
class ServerConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ServerConfiguration.class);

	/** Below this file-descriptor limit a warning is logged at start. */
	static final long LOW_DESCRIPTOR_LIMIT = 4096;

	/**
	 * Problems, not bare statuses, for what the security firewall refuses, on both ports.
	 */
	@Bean
	RejectedPaths rejectedPaths(ErrorMetrics errors) {
		return new RejectedPaths(errors);
	}

	/** Nothing logged as an error for a request the server answered itself. */
	@Bean
	AnsweredBelow answeredBelow() {
		return new AnsweredBelow();
	}

	/** An Accept header that does not parse is ignored, not a body-less problem. */
	@Bean
	LenientAccept lenientAccept() {
		return new LenientAccept();
	}

	/** Errors a client causes after its answer are not logged as errors. */
	@Bean
	DroppedErrors droppedErrors() {
		return new DroppedErrors();
	}

	/** Flame graphs of the running process on the management port. */
	@Bean
	ProfileEndpoint profileEndpoint(ErrorMetrics errors) {
		return new ProfileEndpoint(errors);
	}

	/**
	 * The public port's event loops: {@code eino.server.event-loops} threads, or Reactor
	 * Netty's default count.
	 */
	@Bean(destroyMethod = "dispose")
	LoopResources publicLoop(ServerLimits limits) {
		int threads = (limits.eventLoops() > 0) ? limits.eventLoops() : LoopResources.DEFAULT_IO_WORKER_COUNT;
		return LoopResources.create("reactor-http", threads, true);
	}

	@Bean
	WebServerFactoryCustomizer<NettyReactiveWebServerFactory> publicConnectionLimits(ServerLimits limits, Drain drain,
			LoopResources publicLoop, ErrorMetrics errors, MeterRegistry meters) {
		long descriptors = ConnectionSettings.descriptorLimit();
		int maxConnections = ConnectionSettings.maxConnections(limits, descriptors);
		if (descriptors > 0 && descriptors < LOW_DESCRIPTOR_LIMIT) {
			logger.warn("The file-descriptor limit is low ({}): raise it (ulimit -n) so that connections, models and "
					+ "logs do not run out of descriptors", descriptors);
		}
		if (descriptors > 0 && maxConnections > descriptors - ConnectionSettings.RESERVED_DESCRIPTORS) {
			logger.warn(
					"eino.server.max-connections is {} but the file-descriptor limit is {}: idle connections "
							+ "could exhaust the descriptors before the limit refuses them",
					maxConnections, descriptors);
		}
		int perClient = ConnectionSettings.maxConnectionsPerClient(limits, maxConnections);
		logger.info(
				"Public port: at most {} connections, {} per client (file-descriptor limit {}), header timeout {}, "
						+ "body timeout {}, idle timeout {}",
				maxConnections, perClient, descriptors, limits.headerReadTimeout(), limits.bodyReadTimeout(),
				limits.idleTimeout());
		return (factory) -> factory.addServerCustomizers((server) -> ConnectionSettings
			.apply(server, limits, new ConnectionLimit(maxConnections, perClient, "public", meters, System::nanoTime),
					new DecodeFailures(errors))
			.runOn(publicLoop)
			.doOnBound((bound) -> drain.listening(bound.channel())));
	}

	@Bean
	Drain drain(ShutdownSettings settings, ApplicationAvailability availability) {
		return new Drain(settings.drainDelay(), availability);
	}

	@Bean
	ConnectionCloseFilter connectionCloseFilter(Drain drain) {
		return new ConnectionCloseFilter(drain);
	}

}
