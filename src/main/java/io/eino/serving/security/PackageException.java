package io.eino.serving.security;

/**
 * A sealed model package that cannot be opened: not a package, a format this build does
 * not read, a key that is not configured, or contents that fail authentication (tampered,
 * truncated or sealed with another key). Always names the key id when the header could be
 * read.
 */
public final class PackageException extends RuntimeException {

	/** Why a package could not be opened. */
	public enum Reason {

		/** Not an eino package, an unknown format version, or truncated. */
		FORMAT,

		/** No key with the header's key id is configured. */
		KEY_MISSING,

		/** Authentication failed: tampered, or sealed with a different key of that id. */
		AUTHENTICATION,

		/** The decrypted archive is malformed or escapes its directory. */
		ARCHIVE

	}

	private final Reason reason;

	private final String keyId;

	public PackageException(Reason reason, String keyId, String message) {
		this(reason, keyId, message, null);
	}

	public PackageException(Reason reason, String keyId, String message, Throwable cause) {
		super(message, cause);
		this.reason = reason;
		this.keyId = keyId;
	}

	public Reason reason() {
		return this.reason;
	}

	/** The key id of the package's header, or null when the header could not be read. */
	public String keyId() {
		return this.keyId;
	}

}
