package io.eino.serving.security;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 keys that open model packages, by key id, looked up afresh for every
 * package so that a key added later (a Vault secret picked up by a configuration refresh)
 * is found without a restart.
 *
 * <p>
 * Two sources: {@code eino.encryption.keys.<id>} (base64, 32 bytes; where Spring Cloud
 * Vault's {@code vault://} import puts the secret's entries), and the
 * {@code EINO_MODEL_KEY} environment variable, either one base64 key (id
 * {@value #DEFAULT_ID}) or {@code id:base64} entries separated by commas. Key material is
 * never logged or put in a message.
 */
public final class ModelKeys {

	/** The environment variable read where there is no Vault. */
	public static final String ENVIRONMENT_VARIABLE = "EINO_MODEL_KEY";

	/** The id of a key given in {@code EINO_MODEL_KEY} without one. */
	public static final String DEFAULT_ID = "default";

	private static final int KEY_BYTES = 32;

	private final Supplier<Map<String, String>> configured;

	private final String environment;

	/**
	 * @param configured the current {@code eino.encryption.keys} entries
	 * @param environment the value of {@code EINO_MODEL_KEY}, or null
	 */
	public ModelKeys(Supplier<Map<String, String>> configured, String environment) {
		this.configured = configured;
		this.environment = environment;
	}

	/** Keys from {@code EINO_MODEL_KEY}'s value only (the command-line tool). */
	public static ModelKeys fromEnvironment(String environment) {
		return new ModelKeys(Map::of, environment);
	}

	/** The ids of every key available now. */
	public Set<String> ids() {
		return new TreeSet<>(encodedKeys().keySet());
	}

	/**
	 * The key of an id.
	 * @throws PackageException if there is none, or it is not 32 bytes of base64
	 */
	public SecretKey key(String id) {
		String encoded = encodedKeys().get(id);
		if (encoded == null) {
			throw new PackageException(PackageException.Reason.KEY_MISSING, id,
					"No key with id '" + id + "' is configured (eino.encryption.keys." + id
							+ " from Vault or the configuration, or " + ENVIRONMENT_VARIABLE + "); known ids: "
							+ ids());
		}
		byte[] bytes;
		try {
			bytes = Base64.getDecoder().decode(encoded.strip());
		}
		catch (IllegalArgumentException ex) {
			throw new PackageException(PackageException.Reason.KEY_MISSING, id, "Key '" + id + "' is not valid base64");
		}
		if (bytes.length != KEY_BYTES) {
			throw new PackageException(PackageException.Reason.KEY_MISSING, id,
					"Key '" + id + "' is " + bytes.length + " bytes; AES-256 needs " + KEY_BYTES);
		}
		return new SecretKeySpec(bytes, "AES");
	}

	private Map<String, String> encodedKeys() {
		Map<String, String> keys = new LinkedHashMap<>(parseEnvironment(this.environment));
		Map<String, String> configured = this.configured.get();
		if (configured != null) {
			keys.putAll(configured);
		}
		return keys;
	}

	/** {@code base64} or {@code id:base64[,id:base64...]}. */
	static Map<String, String> parseEnvironment(String value) {
		Map<String, String> keys = new LinkedHashMap<>();
		if (value == null || value.isBlank()) {
			return keys;
		}
		for (String entry : value.split(",")) {
			String trimmed = entry.strip();
			int colon = trimmed.indexOf(':');
			if (colon < 0) {
				keys.put(DEFAULT_ID, trimmed);
			}
			else {
				keys.put(trimmed.substring(0, colon).strip(), trimmed.substring(colon + 1).strip());
			}
		}
		return keys;
	}

}
