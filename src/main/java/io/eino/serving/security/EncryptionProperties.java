package io.eino.serving.security;

import java.nio.file.Path;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Encrypted model packages ({@code model.eino}, sealed with {@code eino-model seal}):
 * {@code eino.encryption.*}. {@link ModelKeys} binds it afresh at every load, so a key
 * added by a refresh of the Vault secret is seen.
 *
 * @param keys AES-256 keys by key id, base64; where Spring Cloud Vault's import puts the
 * entries of the Vault secret (the {@code EINO_MODEL_KEY} environment variable adds to
 * them)
 * @param plaintextDirectory a memory-backed directory (tmpfs) for the seconds TensorFlow
 * reads a decrypted version; empty = {@code /dev/shm}, else {@code $XDG_RUNTIME_DIR}
 */
@ConfigurationProperties("eino.encryption")
public record EncryptionProperties(Map<String, String> keys, Path plaintextDirectory) {

	/** The prefix the properties are bound from. */
	public static final String PREFIX = "eino.encryption";

	public EncryptionProperties {
		keys = (keys != null) ? Map.copyOf(keys) : Map.of();
	}

	/** Never prints a key. */
	@Override
	public String toString() {
		return "EncryptionProperties[keys=" + this.keys.keySet() + ", plaintextDirectory=" + this.plaintextDirectory
				+ "]";
	}

}
