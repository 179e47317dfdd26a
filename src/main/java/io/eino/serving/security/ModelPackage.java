package io.eino.serving.security;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * A model version sealed into one file, {@code model.eino}: a zip archive of the version
 * directory encrypted with AES-256-GCM (the JDK's provider).
 *
 * <p>
 * Layout (hand-written: no maintained library defines an encrypted-model container; the
 * cryptography itself is the JDK's): the magic {@code EINO-PKG}, one byte of format
 * version (1), one byte of key-id length and the key id (UTF-8), the 12-byte nonce, the
 * ciphertext length (8 bytes, big-endian), then the ciphertext with its 16-byte tag. The
 * whole header is the GCM additional authenticated data, so changing any byte of it, or
 * of the ciphertext, makes opening fail. A fresh random nonce is drawn for every seal.
 *
 * <p>
 * Opening decrypts in memory and verifies the tag before any plaintext is released; the
 * archive is then unpacked straight into the caller's directory (for the service: a
 * {@link PlaintextWorkspace} on a memory-backed filesystem).
 */
public final class ModelPackage {

	/** The package's file name inside a version directory. */
	public static final String FILE_NAME = "model.eino";

	/** The format version this build writes and reads. */
	public static final int FORMAT_VERSION = 1;

	private static final byte[] MAGIC = "EINO-PKG".getBytes(StandardCharsets.US_ASCII);

	private static final int NONCE_BYTES = 12;

	private static final int TAG_BITS = 128;

	private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

	private static final SecureRandom RANDOM = new SecureRandom();

	/** Files larger than this (the weights) are stored in the archive, not deflated. */
	private static final long STORE_ABOVE_BYTES = 4L << 20;

	private ModelPackage() {
	}

	/**
	 * The readable part of a package.
	 *
	 * @param formatVersion the format version
	 * @param keyId the id of the key it was sealed with
	 * @param nonce the GCM nonce
	 * @param ciphertextLength bytes of ciphertext, tag included
	 * @param headerLength bytes of header
	 */
	public record Header(int formatVersion, String keyId, byte[] nonce, long ciphertextLength, int headerLength) {

		byte[] bytes() {
			byte[] id = this.keyId.getBytes(StandardCharsets.UTF_8);
			ByteBuffer buffer = ByteBuffer.allocate(MAGIC.length + 2 + id.length + NONCE_BYTES + Long.BYTES);
			buffer.put(MAGIC).put((byte) this.formatVersion).put((byte) id.length).put(id).put(this.nonce);
			buffer.putLong(this.ciphertextLength);
			return buffer.array();
		}

	}

	/** Whether a key id may be used: 1 to 64 of letters, digits, '_' and '-'. */
	public static boolean validKeyId(String keyId) {
		return keyId != null && KEY_ID.matcher(keyId).matches();
	}

	/**
	 * Seals every file under {@code versionDirectory} into {@code packageFile}, written
	 * beside it under a temporary name and renamed into place.
	 */
	public static Header seal(Path versionDirectory, Path packageFile, String keyId, SecretKey key) {
		if (!validKeyId(keyId)) {
			throw new IllegalArgumentException("Key id '" + keyId + "' is not 1 to 64 of [A-Za-z0-9_-]");
		}
		byte[] plaintext = zip(versionDirectory);
		try {
			byte[] nonce = new byte[NONCE_BYTES];
			RANDOM.nextBytes(nonce);
			byte[] idBytes = keyId.getBytes(StandardCharsets.UTF_8);
			long ciphertextLength = plaintext.length + TAG_BITS / 8;
			Header header = new Header(FORMAT_VERSION, keyId, nonce, ciphertextLength,
					MAGIC.length + 2 + idBytes.length + NONCE_BYTES + Long.BYTES);
			byte[] headerBytes = header.bytes();
			Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
			cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
			cipher.updateAAD(headerBytes);
			byte[] ciphertext = cipher.doFinal(plaintext);
			// The package's folder may not exist yet (the example of docs/security.md
			// seals into a
			// new staging folder).
			Path parent = packageFile.toAbsolutePath().getParent();
			if (parent != null) {
				Files.createDirectories(parent);
			}
			Path temporary = packageFile.resolveSibling("." + packageFile.getFileName() + ".partial");
			try (OutputStream out = Files.newOutputStream(temporary)) {
				out.write(headerBytes);
				out.write(ciphertext);
			}
			Files.move(temporary, packageFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			return header;
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("AES-256-GCM is not available: " + ex.getMessage(), ex);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			Arrays.fill(plaintext, (byte) 0);
		}
	}

	/** Reads and checks a package's header (the contents stay sealed). */
	public static Header inspect(Path packageFile) {
		try (InputStream in = Files.newInputStream(packageFile)) {
			Header header = readHeader(new DataInputStream(in));
			long size = Files.size(packageFile);
			if (size != header.headerLength() + header.ciphertextLength()) {
				throw new PackageException(PackageException.Reason.FORMAT, header.keyId(),
						"Package " + packageFile + " is " + size + " bytes; its header says "
								+ (header.headerLength() + header.ciphertextLength())
								+ " (truncated, or still being copied)");
			}
			return header;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Decrypts a package in memory and unpacks it into {@code target}, an existing empty
	 * directory; nothing is written unless authentication succeeds.
	 * @return the header
	 * @throws PackageException if it cannot be opened
	 */
	public static Header open(Path packageFile, ModelKeys keys, Path target) {
		Header header = inspect(packageFile);
		SecretKey key = keys.key(header.keyId());
		byte[] plaintext = null;
		try {
			byte[] sealed = Files.readAllBytes(packageFile);
			Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
			cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, header.nonce()));
			cipher.updateAAD(sealed, 0, header.headerLength());
			plaintext = cipher.doFinal(sealed, header.headerLength(), sealed.length - header.headerLength());
			unzip(plaintext, target, header.keyId());
			return header;
		}
		catch (AEADBadTagException ex) {
			throw new PackageException(PackageException.Reason.AUTHENTICATION, header.keyId(),
					"Package " + packageFile.getFileName() + " failed authentication with key '" + header.keyId()
							+ "': it was tampered with, or sealed with a different key of that id");
		}
		catch (GeneralSecurityException ex) {
			throw new PackageException(PackageException.Reason.AUTHENTICATION, header.keyId(),
					"Package " + packageFile.getFileName() + " could not be decrypted with key '" + header.keyId()
							+ "': " + ex.getMessage(),
					ex);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			if (plaintext != null) {
				Arrays.fill(plaintext, (byte) 0);
			}
		}
	}

	private static Header readHeader(DataInputStream in) throws IOException {
		byte[] magic = new byte[MAGIC.length];
		if (in.readNBytes(magic, 0, magic.length) != magic.length || !Arrays.equals(magic, MAGIC)) {
			throw new PackageException(PackageException.Reason.FORMAT, null, "Not an eino model package");
		}
		int format = in.read();
		int idLength = in.read();
		if (format != FORMAT_VERSION) {
			throw new PackageException(PackageException.Reason.FORMAT, null, "Package format version " + format
					+ " is not readable by this build (reads " + FORMAT_VERSION + ")");
		}
		if (idLength < 1) {
			throw new PackageException(PackageException.Reason.FORMAT, null, "Package header is truncated");
		}
		byte[] id = in.readNBytes(idLength);
		byte[] nonce = in.readNBytes(NONCE_BYTES);
		String keyId = new String(id, StandardCharsets.UTF_8);
		if (id.length != idLength || nonce.length != NONCE_BYTES || !validKeyId(keyId)) {
			throw new PackageException(PackageException.Reason.FORMAT, null, "Package header is truncated or invalid");
		}
		long length;
		try {
			length = in.readLong();
		}
		catch (IOException ex) {
			throw new PackageException(PackageException.Reason.FORMAT, keyId, "Package header is truncated");
		}
		if (length < TAG_BITS / 8 || length > Integer.MAX_VALUE - 64) {
			throw new PackageException(PackageException.Reason.FORMAT, keyId,
					"Package ciphertext length " + length + " is out of range");
		}
		return new Header(format, keyId, nonce, length, MAGIC.length + 2 + idLength + NONCE_BYTES + Long.BYTES);
	}

	private static byte[] zip(Path directory) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (ZipOutputStream zip = new ZipOutputStream(bytes); Stream<Path> walk = Files.walk(directory)) {
			List<Path> files = walk.filter(Files::isRegularFile).sorted().toList();
			if (files.isEmpty()) {
				throw new IllegalArgumentException(directory + " holds no files to seal");
			}
			for (Path file : files) {
				String name = directory.relativize(file).toString().replace('\\', '/');
				if (name.equals(FILE_NAME) || name.startsWith(".")) {
					continue;
				}
				// Weights are float data that deflate shrinks by under 10 % at about 30
				// MB/s:
				// stored, a large model seals in a fraction of the time and opens faster.
				zip.setLevel(
						Files.size(file) > STORE_ABOVE_BYTES ? Deflater.NO_COMPRESSION : Deflater.DEFAULT_COMPRESSION);
				zip.putNextEntry(new ZipEntry(name));
				Files.copy(file, zip);
				zip.closeEntry();
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return bytes.toByteArray();
	}

	private static void unzip(byte[] archive, Path target, String keyId) throws IOException {
		Path root = target.toAbsolutePath().normalize();
		try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
			for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
				Path file = root.resolve(entry.getName()).normalize();
				if (!file.startsWith(root) || file.equals(root)) {
					throw new PackageException(PackageException.Reason.ARCHIVE, keyId,
							"Package entry '" + entry.getName() + "' escapes the version directory");
				}
				if (entry.isDirectory()) {
					Files.createDirectories(file);
					continue;
				}
				Files.createDirectories(file.getParent());
				Files.copy(zip, file);
			}
		}
	}

}
