package io.eino.serving.client;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import io.eino.serving.TestModels;
import io.eino.serving.error.Rule;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Who a request comes from: forwarded headers only from trusted proxies, read from the
 * right; API keys by their hash.
 */
class ClientResolverTest {

	private static final InetSocketAddress SIDECAR = new InetSocketAddress("127.0.0.1", 40000);

	private static final InetSocketAddress STRANGER = new InetSocketAddress("203.0.113.9", 40000);

	private final ClientResolver resolver = new ClientResolver(
			new ClientProperties(List.of("127.0.0.0/8", "::1/128", "10.0.0.0/8")), new SecurityProperties(null, true));

	private static HttpHeaders headers(String... namesAndValues) {
		HttpHeaders headers = new HttpHeaders();
		for (int i = 0; i < namesAndValues.length; i += 2) {
			headers.add(namesAndValues[i], namesAndValues[i + 1]);
		}
		return headers;
	}

	private String client(InetSocketAddress peer, String... headers) {
		return this.resolver.resolve(peer, headers(headers)).id();
	}

	@Test
	void theRightMostUntrustedHopOfATrustedProxyIsTheClient() {
		assertThat(client(SIDECAR, "X-Forwarded-For", "198.51.100.7")).isEqualTo("addr:198.51.100.7");
		// The client wrote the first entry itself; the trusted hops after the real
		// client are skipped.
		assertThat(client(SIDECAR, "X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.1.2.3"))
			.isEqualTo("addr:198.51.100.7");
		assertThat(client(SIDECAR, "X-Forwarded-For", "6.6.6.6, 198.51.100.7", "X-Forwarded-For", "10.1.2.3"))
			.isEqualTo("addr:198.51.100.7");
	}

	@Test
	void forwardedWinsOverTheOlderHeadersAndAcceptsQuotedV6WithPorts() {
		assertThat(client(SIDECAR, "Forwarded", "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https",
				"X-Forwarded-For", "198.51.100.7"))
			.isEqualTo("addr:2001:db8:cafe:0:0:0:0:17");
		assertThat(client(SIDECAR, "Forwarded", "for=192.0.2.60:8080;by=10.0.0.1")).isEqualTo("addr:192.0.2.60");
		assertThat(client(SIDECAR, "X-Real-IP", "192.0.2.61")).isEqualTo("addr:192.0.2.61");
	}

	@Test
	void headersFromAnUntrustedPeerAreIgnored() {
		assertThat(client(STRANGER, "X-Forwarded-For", "198.51.100.7")).isEqualTo("addr:203.0.113.9");
		assertThat(client(STRANGER, "Forwarded", "for=198.51.100.7")).isEqualTo("addr:203.0.113.9");
		assertThat(client(STRANGER, "X-Real-IP", "198.51.100.7")).isEqualTo("addr:203.0.113.9");
	}

	@Test
	void anUnknownOrObfuscatedHopStopsTheWalkAtTheProxyThatReportedIt() {
		assertThat(client(SIDECAR, "Forwarded", "for=unknown")).isEqualTo("addr:127.0.0.1");
		assertThat(client(SIDECAR, "Forwarded", "for=198.51.100.7, for=_hidden, for=10.9.9.9"))
			.isEqualTo("addr:10.9.9.9");
		assertThat(client(SIDECAR, "X-Forwarded-For", "not-an-address.example")).isEqualTo("addr:127.0.0.1");
		assertThat(client(SIDECAR)).isEqualTo("addr:127.0.0.1");
	}

	@Test
	void withoutConfiguredKeysAKeyIsNoIdentity() {
		assertThat(client(STRANGER, "X-Api-Key", "invented-1")).isEqualTo("addr:203.0.113.9");
		assertThat(client(STRANGER, "X-Api-Key", "invented-2")).isEqualTo("addr:203.0.113.9");
	}

	@Test
	void withKeysAKnownKeyIsTheClientAndAnUnknownOneIsRefused() {
		ClientResolver keyed = new ClientResolver(new ClientProperties(List.of("127.0.0.0/8")), new SecurityProperties(
				Map.of("reports", new SecurityProperties.ApiKey(TestModels.sha256("s3cret"), 50, 0, 5)), true));
		Client reports = keyed.resolve(STRANGER, headers("X-Api-Key", "s3cret"));
		assertThat(reports).isEqualTo(new Client("key:reports", 50, 0, 5));
		assertThat(reports.toString()).doesNotContain("s3cret");
		assertThatExceptionOfType(ApiKeyException.class)
			.isThrownBy(() -> keyed.resolve(STRANGER, headers("X-Api-Key", "guess")))
			.satisfies((ex) -> assertThat(ex.rule()).isEqualTo(Rule.UNKNOWN_API_KEY))
			.withMessageNotContaining("guess");
		assertThat(keyed.resolve(STRANGER, headers()).id()).isEqualTo("addr:203.0.113.9");
		ClientResolver required = new ClientResolver(new ClientProperties(List.of()), new SecurityProperties(
				Map.of("reports", new SecurityProperties.ApiKey(TestModels.sha256("s3cret"), null, 0, 0)), false));
		assertThatExceptionOfType(ApiKeyException.class).isThrownBy(() -> required.resolve(STRANGER, headers()))
			.satisfies((ex) -> assertThat(ex.rule()).isEqualTo(Rule.MISSING_API_KEY));
	}

	@Test
	void aTrustedProxyEntryMustBeAnAddressOrARange() {
		for (String bad : List.of("localhost", "10.0.0.0/33", "10.0.0.0/x", "::1/129")) {
			assertThatIllegalArgumentException().isThrownBy(
					() -> new ClientResolver(new ClientProperties(List.of(bad)), new SecurityProperties(null, true)))
				.withMessageContaining("eino.clients.trusted-proxies");
		}
	}

}
