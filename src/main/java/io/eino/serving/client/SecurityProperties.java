package io.eino.serving.client;

import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * API keys (docs/traffic.md, "API keys"): {@code eino.security.*}. They can come from
 * properties, a Kubernetes Secret mounted as a config tree, or Vault through Spring Cloud
 * Vault, as any property does.
 *
 * @param apiKeys API keys by key id; when any is configured, an unknown key is refused
 * with 401 and a known key is the client's identity
 * @param allowAnonymous with API keys configured, whether requests without a key are
 * served (identified by their address); without keys every request is anonymous
 */
@Validated
@ConfigurationProperties("eino.security")
public record SecurityProperties(Map<String, @Valid ApiKey> apiKeys, @DefaultValue("true") boolean allowAnonymous) {

	public SecurityProperties {
		apiKeys = (apiKeys != null) ? Map.copyOf(apiKeys) : Map.of();
	}

	/**
	 * One API key. The key itself is never configured, only its SHA-256 (so that the
	 * configuration, a Kubernetes Secret or a Vault secret holding it, gives nothing
	 * away).
	 *
	 * @param secretSha256 the SHA-256 of the key, 64 hex digits
	 * ({@code printf %s "$KEY" | sha256sum})
	 * @param rateLimit the key's requests per rate-limit refresh period, per model; empty
	 * for the model's own limit
	 * @param minPriority the lowest {@code Eino-Priority} the key may send
	 * @param maxPriority the highest {@code Eino-Priority} the key may send; a key
	 * granted neither (both 0) has the header ignored, as anonymous clients do
	 */
	public record ApiKey(@NotNull @Pattern(regexp = "[0-9a-fA-F]{64}") String secretSha256, @Min(1) Integer rateLimit,
			@Min(-9) @Max(9) @DefaultValue("0") int minPriority, @Min(-9) @Max(9) @DefaultValue("0") int maxPriority) {

		@Override
		public String toString() {
			return "ApiKey[rateLimit=" + this.rateLimit + ", priorities=" + this.minPriority + ".." + this.maxPriority
					+ "]";
		}

	}

}
