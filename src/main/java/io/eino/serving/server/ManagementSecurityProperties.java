package io.eino.serving.server;

import java.util.List;

import jakarta.validation.constraints.NotBlank;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Who may call the management port (docs/security.md): {@code eino.management.*}. Every
 * path but the open ones needs HTTP Basic credentials; without a password configured,
 * those paths refuse every call.
 *
 * @param username the user name of HTTP Basic
 * @param password the password, plain or encoded with its id ({@code {bcrypt}$2a$…});
 * empty: the protected paths refuse everyone. From a Kubernetes Secret through
 * {@code EINO_MANAGEMENT_PASSWORD} in the Helm chart
 * @param openPaths paths anyone may call (Spring path patterns): the probes and the
 * Prometheus scrape by default
 */
@Validated
@ConfigurationProperties("eino.management")
public record ManagementSecurityProperties(@NotBlank @DefaultValue("eino-admin") String username, String password,
		@DefaultValue( {
				"/actuator/health", "/actuator/health/**", "/actuator/prometheus" }) List<String> openPaths){

	public ManagementSecurityProperties {
		openPaths = List.copyOf(openPaths);
	}

}
