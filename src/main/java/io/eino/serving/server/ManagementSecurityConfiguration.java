package io.eino.serving.server;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Base64;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Rule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpHeaders;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.web.server.ServerWebExchange;

/**
 * Spring Security on the management port (docs/security.md): the open paths
 * ({@code eino.management.open-paths}: probes and the Prometheus scrape) for anyone,
 * everything else (the other Actuator endpoints, the model control API) with HTTP Basic
 * credentials ({@code eino.management.username}/{@code password}). The public port is not
 * matched: its API keys are the service's own (docs/traffic.md), and no Actuator endpoint
 * is served there. A refusal is an RFC 9457 problem of rule
 * {@code management-credentials}.
 */
@Configuration(proxyBeanMethods = false)
class ManagementSecurityConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ManagementSecurityConfiguration.class);

	private static final String REALM = "eino-management";

	@Bean
	SecurityWebFilterChain managementSecurity(ServerHttpSecurity http, ManagementSecurityProperties properties,
			Environment environment, ErrorMetrics errors) {
		ServerAuthenticationEntryPoint refusal = new ProblemEntryPoint(errors);
		return http.securityMatcher(new ManagementPort(environment))
			.authorizeExchange((exchanges) -> exchanges.pathMatchers(properties.openPaths().toArray(String[]::new))
				.permitAll()
				.anyExchange()
				.authenticated())
			.httpBasic((basic) -> basic.authenticationEntryPoint(refusal))
			.exceptionHandling((handling) -> handling.authenticationEntryPoint(refusal))
			.csrf(ServerHttpSecurity.CsrfSpec::disable)
			.formLogin(ServerHttpSecurity.FormLoginSpec::disable)
			.logout(ServerHttpSecurity.LogoutSpec::disable)
			.requestCache((cache) -> cache.requestCache(NoOpServerRequestCache.getInstance()))
			.securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
			.build();
	}

	/**
	 * No observations (spans, timers) of Spring Security's filters: the public port's
	 * requests, which it does not match, would each get an extra "unsecured request" span
	 * and timer.
	 */
	@Bean
	SecurityObservationSettings securityObservations() {
		return SecurityObservationSettings.noObservations();
	}

	/**
	 * The one management user. Without a configured password it gets a random one that is
	 * never shown, so that the protected paths refuse every call.
	 */
	@Bean
	MapReactiveUserDetailsService managementUsers(ManagementSecurityProperties properties) {
		PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
		String password;
		if (properties.password() != null && !properties.password().isBlank()) {
			password = properties.password().startsWith("{") ? properties.password() : "{noop}" + properties.password();
		}
		else {
			byte[] random = new byte[32];
			new SecureRandom().nextBytes(random);
			password = encoder.encode(Base64.getEncoder().encodeToString(random));
			logger.warn("No eino.management.password is set: the management port serves only {} and refuses the "
					+ "rest (docs/security.md)", properties.openPaths());
		}
		return new MapReactiveUserDetailsService(
				User.withUsername(properties.username()).password(password).roles("MANAGEMENT").build());
	}

	/**
	 * Requests to the management port: by its local port, or, when the management
	 * endpoints share the public port, by their paths.
	 */
	private static final class ManagementPort implements ServerWebExchangeMatcher {

		private final Environment environment;

		/** The two ports once both listen; read once, as every public request asks. */
		private volatile int[] ports;

		ManagementPort(Environment environment) {
			this.environment = environment;
		}

		@Override
		public Mono<MatchResult> matches(ServerWebExchange exchange) {
			int[] known = ports();
			boolean matches;
			if (known != null && known[0] != known[1]) {
				InetSocketAddress local = exchange.getRequest().getLocalAddress();
				matches = local != null && local.getPort() == known[0];
			}
			else {
				String path = exchange.getRequest().getPath().pathWithinApplication().value();
				matches = path.startsWith("/actuator") || path.startsWith("/v2/repository");
			}
			return matches ? MatchResult.match() : MatchResult.notMatch();
		}

		private int[] ports() {
			int[] known = this.ports;
			if (known == null) {
				Integer management = this.environment.getProperty("local.management.port", Integer.class);
				Integer server = this.environment.getProperty("local.server.port", Integer.class);
				if (management != null && server != null) {
					known = new int[] { management, server };
					this.ports = known;
				}
			}
			return known;
		}

	}

	/** A 401 as the problem of rule {@code management-credentials}. */
	private static final class ProblemEntryPoint implements ServerAuthenticationEntryPoint {

		private final ErrorMetrics errors;

		ProblemEntryPoint(ErrorMetrics errors) {
			this.errors = errors;
		}

		@Override
		public Mono<Void> commence(ServerWebExchange exchange,
				org.springframework.security.core.AuthenticationException failure) {
			Rule rule = Rule.MANAGEMENT_CREDENTIALS;
			String detail = "This management endpoint needs HTTP Basic credentials (eino.management.username and "
					+ "password); only the probes and the Prometheus scrape are open";
			Failure refusal = new Failure(rule, detail);
			this.errors.count(refusal);
			exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"" + REALM + "\"");
			return ProblemResponses.write(exchange, refusal, exchange.getRequest().getPath().value(),
					exchange.getRequest().getId());
		}

	}

}
