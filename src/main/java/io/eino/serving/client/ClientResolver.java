package io.eino.serving.client;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;

import org.springframework.http.HttpHeaders;

/**
 * Decides who sent a request (docs/traffic.md, "Client identity").
 *
 * <p>
 * <b>API key.</b> With keys configured, the {@code X-Api-Key} header is hashed (SHA-256)
 * and looked up: a known key is the client ({@code key:<id>}), an unknown one is refused
 * ({@link ApiKeyException}, 401). Without keys configured the header means nothing, so
 * that inventing keys gains a client nothing.
 *
 * <p>
 * <b>Address.</b> The peer's address, unless the peer is a trusted proxy: then the
 * forwarding headers ({@code Forwarded}, else {@code X-Forwarded-For}, else
 * {@code X-Real-IP}) are read from the right, skipping trusted hops, and the first
 * untrusted hop is the client. Headers from an untrusted peer are ignored: anyone can
 * write them. Spring's forwarded-header support trusts every peer and takes the left-most
 * hop, which a client writes itself, so this small parser is our own. Address matching is
 * Netty's ({@link IpSubnetFilterRule}); no name is ever resolved.
 *
 * <p>
 * Immutable and thread safe.
 */
public final class ClientResolver {

	/** The header that carries an API key. */
	public static final String API_KEY = "X-Api-Key";

	private static final String FORWARDED = "Forwarded";

	private static final String X_FORWARDED_FOR = "X-Forwarded-For";

	private static final String X_REAL_IP = "X-Real-IP";

	private final List<IpSubnetFilterRule> trustedProxies;

	private final Map<String, Client> keysBySha256;

	private final boolean allowAnonymous;

	public ClientResolver(ClientProperties clients, SecurityProperties security) {
		List<IpSubnetFilterRule> rules = new ArrayList<>();
		for (String range : clients.trustedProxies()) {
			rules.add(rule(range));
		}
		this.trustedProxies = List.copyOf(rules);
		Map<String, Client> keys = new HashMap<>();
		security.apiKeys()
			.forEach((id, key) -> keys.put(key.secretSha256().toLowerCase(Locale.ROOT),
					new Client("key:" + id, key.rateLimit(), key.minPriority(), key.maxPriority())));
		this.keysBySha256 = Map.copyOf(keys);
		this.allowAnonymous = security.allowAnonymous();
	}

	/**
	 * The client of a request.
	 * @param peer the connection's remote address (null when unknown)
	 * @throws ApiKeyException for an unknown key, or a missing one where keys are
	 * required
	 */
	public Client resolve(InetSocketAddress peer, HttpHeaders headers) {
		if (!this.keysBySha256.isEmpty()) {
			String key = headers.getFirst(API_KEY);
			if (key != null && !key.isBlank()) {
				Client known = this.keysBySha256.get(sha256(key.strip()));
				if (known == null) {
					throw ApiKeyException.unknown();
				}
				return known;
			}
			if (!this.allowAnonymous) {
				throw ApiKeyException.missing();
			}
		}
		return Client.anonymous(address(peer, headers));
	}

	/** The client's address: the peer's, or the first untrusted hop it forwarded for. */
	String address(InetSocketAddress peer, HttpHeaders headers) {
		InetAddress current = (peer != null) ? peer.getAddress() : null;
		if (current == null) {
			return "unknown";
		}
		if (!trusted(current)) {
			return current.getHostAddress();
		}
		List<String> hops = forwardedHops(headers);
		for (int i = hops.size() - 1; i >= 0; i--) {
			InetAddress hop = parseAddress(hops.get(i));
			if (hop == null) {
				// "unknown" or an obfuscated name: the trusted proxy could not say who.
				break;
			}
			current = hop;
			if (!trusted(hop)) {
				break;
			}
		}
		return current.getHostAddress();
	}

	private boolean trusted(InetAddress address) {
		InetSocketAddress socket = new InetSocketAddress(address, 0);
		for (IpSubnetFilterRule rule : this.trustedProxies) {
			if (rule.matches(socket)) {
				return true;
			}
		}
		return false;
	}

	/** The hops a proxy says the request passed, left (the origin) to right. */
	private static List<String> forwardedHops(HttpHeaders headers) {
		List<String> hops = new ArrayList<>();
		List<String> forwarded = headers.getOrEmpty(FORWARDED);
		if (!forwarded.isEmpty()) {
			// RFC 7239: elements separated by commas, pairs within one by semicolons.
			for (String header : forwarded) {
				for (String element : header.split(",")) {
					String forValue = null;
					for (String pair : element.split(";")) {
						int equals = pair.indexOf('=');
						if (equals > 0 && pair.substring(0, equals).strip().equalsIgnoreCase("for")) {
							forValue = pair.substring(equals + 1).strip();
						}
					}
					hops.add((forValue != null) ? forValue : "unknown");
				}
			}
			return hops;
		}
		for (String header : headers.getOrEmpty(X_FORWARDED_FOR)) {
			for (String hop : header.split(",")) {
				hops.add(hop.strip());
			}
		}
		if (hops.isEmpty()) {
			String realIp = headers.getFirst(X_REAL_IP);
			if (realIp != null) {
				hops.add(realIp.strip());
			}
		}
		return hops;
	}

	/**
	 * An address literal (IPv4, IPv6 bare or in brackets, either with a port, quoted or
	 * not), or null for anything else; never resolved by name.
	 */
	static InetAddress parseAddress(String node) {
		String value = node.strip();
		if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
			value = value.substring(1, value.length() - 1);
		}
		if (value.startsWith("[")) {
			int close = value.indexOf(']');
			if (close < 0) {
				return null;
			}
			value = value.substring(1, close);
		}
		else if (value.indexOf(':') >= 0 && value.indexOf(':') == value.lastIndexOf(':')) {
			value = value.substring(0, value.indexOf(':'));
		}
		if (value.isEmpty()) {
			return null;
		}
		return NetUtil.createInetAddressFromIpAddressString(value);
	}

	private static IpSubnetFilterRule rule(String range) {
		String address = range.strip();
		int slash = address.indexOf('/');
		InetAddress parsed = NetUtil
			.createInetAddressFromIpAddressString((slash < 0) ? address : address.substring(0, slash));
		if (parsed == null) {
			throw new IllegalArgumentException(
					"eino.clients.trusted-proxies: '" + range + "' is not an address or a CIDR range");
		}
		int bits = parsed.getAddress().length * 8;
		int prefix;
		try {
			prefix = (slash < 0) ? bits : Integer.parseInt(address.substring(slash + 1));
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("eino.clients.trusted-proxies: '" + range + "' has no valid prefix");
		}
		if (prefix < 0 || prefix > bits) {
			throw new IllegalArgumentException(
					"eino.clients.trusted-proxies: '" + range + "' has a prefix outside 0.." + bits);
		}
		return new IpSubnetFilterRule(parsed, prefix, IpFilterRuleType.ACCEPT);
	}

	/**
	 * The SHA-256 of an API key as {@code eino.security.api-keys.<id>.secret-sha256}
	 * holds it (lower-case hex).
	 */
	public static String sha256(String key) {
		try {
			byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(hash);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is part of every Java runtime", ex);
		}
	}

}
