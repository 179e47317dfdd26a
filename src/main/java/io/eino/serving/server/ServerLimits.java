package io.eino.serving.server;

import java.time.Duration;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Connection limits of both ports (docs/traffic.md, "Connections"):
 * {@code eino.server.*}.
 *
 * @param headerReadTimeout a request whose first byte arrived must have all its headers
 * within this; otherwise 408 and the connection is closed
 * @param bodyReadTimeout a request's body must have arrived whole within this after its
 * headers; otherwise 408 and the connection is closed
 * @param idleTimeout a connection with no request in progress is closed after this
 * @param maxConnections connections the public port holds at once; more are closed as
 * they are accepted (0 = from the file-descriptor limit: that limit less 1024, at most
 * 10,000)
 * @param maxConnectionsPerClient connections one client (peer address) holds at once on
 * the public port (0 = a quarter of {@code maxConnections}); past it, or past
 * {@code maxConnections}, a new connection replaces the longest-idle one of the client
 * holding the most
 * @param managementMaxConnections connections the management port holds at once
 * @param eventLoops event-loop threads of the public port (0 = Reactor Netty's default,
 * one per core and at least 4); see docs/engine.md, "Thread layout"
 */
@Validated
@ConfigurationProperties("eino.server")
public record ServerLimits(@NotNull @DefaultValue("10s") Duration headerReadTimeout,
		@NotNull @DefaultValue("30s") Duration bodyReadTimeout, @NotNull @DefaultValue("60s") Duration idleTimeout,
		@Min(0) @DefaultValue("0") int maxConnections, @Min(0) @DefaultValue("0") int maxConnectionsPerClient,
		@Min(1) @DefaultValue("256") int managementMaxConnections, @Min(0) @DefaultValue("0") int eventLoops) {

}
