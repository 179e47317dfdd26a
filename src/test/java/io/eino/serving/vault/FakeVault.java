package io.eino.serving.vault;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * A loopback HTTP server answering the part of Vault's HTTP API that Spring Cloud Vault
 * uses to read a KV version 2 secret: the mount lookup,
 * {@code GET /v1/<mount>/data/<path>} with the {@code X-Vault-Token} header checked,
 * token self-lookup and renewal, and AppRole and Kubernetes logins (which accept any
 * credentials: authorisation is not what it tests). Secrets can be changed while it runs.
 * Every request is recorded.
 */
final class FakeVault implements AutoCloseable {

	static final String ROOT_TOKEN = "fake-root-token";

	static final String ROLE_ID = "eino-role";

	static final String SECRET_ID = "eino-secret";

	private static final String APPROLE_TOKEN = "fake-approle-token";

	private final HttpServer server;

	private final JsonMapper json = JsonMapper.builder().build();

	private final Map<String, Map<String, Object>> secrets = new ConcurrentHashMap<>();

	private final List<String> requests = new CopyOnWriteArrayList<>();

	FakeVault() {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.server.createContext("/", this::handle);
		this.server.start();
	}

	String uri() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort();
	}

	/** Puts (replaces) the data of a KV v2 secret, such as {@code secret/eino}. */
	void put(String mount, String path, Map<String, Object> data) {
		this.secrets.put(mount + "/" + path, Map.copyOf(data));
	}

	/** Every request as {@code METHOD /path token=<token>}. */
	List<String> requests() {
		return List.copyOf(this.requests);
	}

	private void handle(HttpExchange exchange) throws IOException {
		String method = exchange.getRequestMethod();
		String path = exchange.getRequestURI().getPath();
		String token = exchange.getRequestHeaders().getFirst("X-Vault-Token");
		this.requests.add(method + " " + path + " token=" + token);
		exchange.getRequestBody().readAllBytes();
		if (path.equals("/v1/auth/approle/login") || path.equals("/v1/auth/kubernetes/login")) {
			respond(exchange, 200, Map.of("auth", Map.of("client_token", APPROLE_TOKEN, "accessor", "a",
					"lease_duration", 3600, "renewable", true, "policies", List.of("eino"))));
			return;
		}
		if (!ROOT_TOKEN.equals(token) && !APPROLE_TOKEN.equals(token)) {
			respond(exchange, 403, Map.of("errors", List.of("permission denied")));
			return;
		}
		if (path.startsWith("/v1/sys/internal/ui/mounts/")) {
			String mount = path.substring("/v1/sys/internal/ui/mounts/".length()).split("/")[0];
			respond(exchange, 200,
					Map.of("data", Map.of("path", mount + "/", "type", "kv", "options", Map.of("version", "2"))));
			return;
		}
		if (path.equals("/v1/auth/token/lookup-self")) {
			respond(exchange, 200, Map.of("data", Map.of("ttl", 3600, "renewable", true, "policies", List.of("eino"))));
			return;
		}
		if (path.startsWith("/v1/auth/token/")) {
			respond(exchange, 200,
					Map.of("auth", Map.of("client_token", token, "lease_duration", 3600, "renewable", true)));
			return;
		}
		String[] parts = path.substring("/v1/".length()).split("/data/", 2);
		Map<String, Object> data = (parts.length == 2) ? this.secrets.get(parts[0] + "/" + parts[1]) : null;
		if (data == null) {
			respond(exchange, 404, Map.of("errors", List.of()));
			return;
		}
		respond(exchange, 200, Map.of("data", Map.of("data", data, "metadata", Map.of("version", 1, "created_time",
				"2026-11-25T00:00:00Z", "deletion_time", "", "destroyed", false))));
	}

	private void respond(HttpExchange exchange, int status, Object body) throws IOException {
		byte[] bytes = this.json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().add("Content-Type", "application/json");
		exchange.sendResponseHeaders(status, bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
	}

}
