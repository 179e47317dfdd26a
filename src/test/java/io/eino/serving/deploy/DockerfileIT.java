package io.eino.serving.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.eino.serving.TestModels;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Dockerfile against what {@code package} built (run by Failsafe after the jar
 * exists): no Docker engine runs on the build machines, so the image is built and started
 * in the GitHub workflow only, and here every part of the Dockerfile that names the build
 * is checked against it: the build context's {@code COPY} sources exist, the layers it
 * copies are those the jar extracts into, the commands it runs are commands the jar has,
 * its ports are the application's and its environment names real settings.
 */
class DockerfileIT {

	private static final Path DOCKERFILE = Path.of("Dockerfile");

	private static final Path JAR = Path.of("target", "eino-serving.jar");

	@Test
	void theBuildContextHoldsEveryCopySource() throws IOException {
		List<String> sources = new ArrayList<>();
		Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(.+) \\S+$").matcher(Files.readString(DOCKERFILE));
		while (copy.find()) {
			for (String source : copy.group(1).trim().split("\\s+")) {
				sources.add(source);
			}
		}
		assertThat(sources).containsExactly(".mvn/", "mvnw", "pom.xml", "src/");
		assertThat(sources).allMatch((source) -> Files.exists(Path.of(source)));
	}

	@Test
	void theLayersItCopiesAreThoseTheJarExtractsInto() throws Exception {
		Path layers = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "layers-");
		try {
			run(List.of(java(), "-Djarmode=tools", "-jar", JAR.toString(), "extract", "--layers", "--destination",
					layers.toString()));
			Matcher copy = Pattern.compile("(?m)^COPY --from=build /layers/([a-z-]+)/ \\./$")
				.matcher(Files.readString(DOCKERFILE));
			List<String> copied = new ArrayList<>();
			while (copy.find()) {
				copied.add(copy.group(1));
				assertThat(layers.resolve(copy.group(1))).isDirectory();
			}
			try (var extracted = Files.list(layers)) {
				assertThat(copied).containsExactlyInAnyOrderElementsOf(
						extracted.map((layer) -> layer.getFileName().toString()).toList());
			}
			// The entrypoint runs /app/eino-serving.jar: the application layer's jar.
			assertThat(layers.resolve("application/eino-serving.jar")).isRegularFile();
			assertThat(Files.readString(DOCKERFILE))
				.contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/eino-serving.jar\"]");
		}
		finally {
			TestModels.deleteRecursively(layers);
		}
	}

	@Test
	void prepareModelsIsACommandOfTheJarAndFindsAPreparedRepository() throws Exception {
		assertThat(Files.readString(DOCKERFILE))
			.contains("-jar target/eino-serving.jar \\\n        prepare-models --repository /models");
		String output = run(List.of(java(), "-jar", JAR.toString(), "prepare-models", "--repository",
				TestModels.repository().toString()));
		assertThat(output).contains("Already present: model 'sentiment'");
		assertThat(run(List.of(java(), "-jar", JAR.toString(), "prepare-models"), 2)).contains("usage: prepare-models");
	}

	@Test
	void itsPortsAndEnvironmentAreTheApplications() throws Exception {
		String dockerfile = Files.readString(DOCKERFILE);
		JsonNode application = YAMLMapper.builder()
			.build()
			.readTree(Path.of("src/main/resources/application.yaml").toFile());
		assertThat(dockerfile).contains("EXPOSE " + application.at("/server/port").asInt() + " "
				+ application.at("/management/server/port").asInt());
		// Relaxed binding: EINO_REPOSITORY_PATH is eino.repository.path, and so on.
		assertThat(application.at("/eino/repository/path").isMissingNode()).isFalse();
		assertThat(dockerfile).contains("EINO_REPOSITORY_PATH=/models", "COPY --from=build /models/ /models/",
				"EINO_ENCRYPTION_PLAINTEXT_DIRECTORY=/var/run/eino/plaintext", "SPRING_PROFILES_ACTIVE=json",
				"USER 10001:10001");
		assertThat(Files.readString(Path.of("src/main/java/io/eino/serving/security/EncryptionProperties.java")))
			.contains("@ConfigurationProperties(\"eino.encryption\")", "Path plaintextDirectory");
		// The native libraries extracted at build time are where the runtime looks for
		// them.
		assertThat(dockerfile).contains("-Dorg.bytedeco.javacpp.cachedir=/javacpp",
				"COPY --from=build /javacpp/ /opt/javacpp/", "-Dorg.bytedeco.javacpp.cachedir=/opt/javacpp");
		// The chart mounts the volumes the image writes to.
		JsonNode mounts = Chart.only(Chart.render(null, java.util.Map.of()), "Deployment")
			.at("/spec/template/spec/containers/0/volumeMounts");
		assertThat(mounts.findValuesAsString("mountPath")).contains("/tmp", "/var/run/eino/plaintext");
	}

	private static String java() {
		return Path.of(System.getProperty("java.home"), "bin", "java").toString();
	}

	private static String run(List<String> command) throws Exception {
		return run(command, 0);
	}

	private static String run(List<String> command, int expectedExit) throws Exception {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		byte[] output = process.getInputStream().readAllBytes();
		assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
		String text = new String(output, java.nio.charset.StandardCharsets.UTF_8);
		assertThat(process.exitValue()).as(text).isEqualTo(expectedExit);
		return text;
	}

}
