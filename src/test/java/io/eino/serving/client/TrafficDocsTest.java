package io.eino.serving.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration examples of docs/traffic.md, bound as Spring binds them and used.
 */
class TrafficDocsTest {

	private static List<String> yamlBlocks() throws IOException {
		String text = Files.readString(Path.of("docs", "traffic.md"));
		return List.of(text.split("```yaml\n")).stream().skip(1).map((block) -> block.split("```")[0]).toList();
	}

	private static Binder binder(String yaml) throws IOException {
		List<PropertySource<?>> sources = new YamlPropertySourceLoader().load("docs",
				new ByteArrayResource(yaml.getBytes()));
		Map<String, Object> properties = new java.util.HashMap<>();
		for (PropertySource<?> source : sources) {
			if (source.getSource() instanceof Map<?, ?> map) {
				map.forEach((key, value) -> properties.put(key.toString(), value.toString()));
			}
		}
		return new Binder(new MapConfigurationPropertySource(properties));
	}

	@Test
	void theApiKeyExampleBindsAndItsKeyIsKnown() throws IOException {
		String example = yamlBlocks().stream()
			.filter((block) -> block.startsWith("eino.security:"))
			.findFirst()
			.orElseThrow();
		SecurityProperties security = binder(example).bind("eino.security", SecurityProperties.class).get();
		assertThat(security.allowAnonymous()).isTrue();
		assertThat(security.apiKeys()).containsOnlyKeys("reports");
		ClientResolver resolver = new ClientResolver(new ClientProperties(List.of("127.0.0.0/8")), security);
		HttpHeaders headers = new HttpHeaders();
		// The example's hash is that of the key "test".
		headers.set(ClientResolver.API_KEY, "test");
		Client client = resolver.resolve(new InetSocketAddress("192.0.2.1", 1), headers);
		assertThat(client).isEqualTo(new Client("key:reports", 50, 0, 5));
	}

	@Test
	void theTrustedProxiesExampleBindsAndTrustsTheRange() throws IOException {
		String example = yamlBlocks().stream()
			.filter((block) -> block.startsWith("eino.clients.trusted-proxies"))
			.findFirst()
			.orElseThrow();
		ClientProperties clients = binder(example).bind("eino.clients", ClientProperties.class).get();
		ClientResolver resolver = new ClientResolver(clients, new SecurityProperties(null, true));
		HttpHeaders headers = new HttpHeaders();
		headers.set("X-Forwarded-For", "198.51.100.7");
		assertThat(resolver.resolve(new InetSocketAddress("10.1.2.3", 1), headers).id()).isEqualTo("addr:198.51.100.7");
	}

}
