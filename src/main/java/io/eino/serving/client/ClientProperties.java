package io.eino.serving.client;

import java.util.List;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Who a request comes from (docs/traffic.md, "Client identity"): {@code eino.clients.*}.
 *
 * @param trustedProxies the peers (addresses or CIDR ranges) whose {@code Forwarded},
 * {@code X-Forwarded-For} and {@code X-Real-IP} headers are believed; the default is
 * loopback, where a sidecar proxy such as Istio's connects from
 */
@Validated
@ConfigurationProperties("eino.clients")
public record ClientProperties(@NotNull @DefaultValue( {
		"127.0.0.0/8", "::1/128" }) List<String> trustedProxies){

	public ClientProperties {
		trustedProxies = List.copyOf(trustedProxies);
	}

}
