package io.eino.serving.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.nio.file.LinkOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.eino.serving.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import org.springframework.util.FileSystemUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Dockerfile against what {@code package} built (run by Failsafe after the jar
 * exists), without a Docker engine: every part of the Dockerfile that names the build is
 * checked against it (ContainerImageIT builds nothing; it runs the image bin/build-image
 * made): the build context's {@code COPY} sources exist, the layers it copies are those
 * the jar extracts into, the commands it runs are commands the jar has, its ports are the
 * application's and its environment names real settings.
 */
class DockerfileIT {

	private static final Path DOCKERFILE = Path.of("Dockerfile");

	private static final Path JAR = Path.of("target", "eino-serving.jar");

	/** The jar's layers, extracted as the build stage does. */
	private static Path layers;

	/** The layers assembled as the runtime stage lays them out. */
	private static Path app;

	@BeforeAll
	static void extractLayers() throws Exception {
		Path work = Path.of("target", "dockerfile-it").toAbsolutePath();
		TestModels.deleteRecursively(work);
		layers = work.resolve("layers");
		app = work.resolve("app");
		Files.createDirectories(work);
		run(List.of(java(), "-Djarmode=tools", "-jar", JAR.toString(), "extract", "--layers", "--destination",
				layers.toString()));
		try (var each = Files.list(layers)) {
			for (Path layer : each.toList()) {
				FileSystemUtils.copyRecursively(layer, app);
			}
		}
	}

	@Test
	void theBuildContextHoldsEveryCopySource() throws IOException {
		List<String> sources = new ArrayList<>();
		Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(.+) \\S+$").matcher(Files.readString(DOCKERFILE));
		while (copy.find()) {
			for (String source : copy.group(1).trim().split("\\s+")) {
				sources.add(source);
			}
		}
		assertThat(sources).containsExactly("docker/ca-certificates/", ".mvn/", "mvnw", "pom.xml", "src/");
		assertThat(sources).allMatch((source) -> Files.exists(Path.of(source)));
	}

	@Test
	void theLayersItCopiesAreThoseTheJarExtractsInto() throws Exception {
		Matcher copy = Pattern.compile("(?m)^COPY --from=build /layers/([a-z-]+)/ \\./$")
			.matcher(Files.readString(DOCKERFILE));
		List<String> copied = new ArrayList<>();
		while (copy.find()) {
			copied.add(copy.group(1));
			assertThat(layers.resolve(copy.group(1))).isDirectory();
		}
		try (var extracted = Files.list(layers)) {
			assertThat(copied)
				.containsExactlyInAnyOrderElementsOf(extracted.map((layer) -> layer.getFileName().toString()).toList());
		}
		// The entrypoint runs /app/eino-serving.jar: the application layer's jar.
		assertThat(layers.resolve("application/eino-serving.jar")).isRegularFile();
		assertThat(Files.readString(DOCKERFILE)).contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/eino-serving.jar\"]");
	}

	/**
	 * The build stage's {@code prepare-models} run, from the layers assembled as the
	 * runtime lays them out: it prepares the model and leaves TensorFlow's native
	 * libraries in the JavaCPP cache and the tokenizers' in DJL's, where the build stage
	 * collects them for the runtime to load in place (ContainerImageIT runs the image).
	 */
	@Test
	void prepareModelsPreparesTheModelAndExtractsTheNativeLibraries() throws Exception {
		String dockerfile = Files.readString(DOCKERFILE);
		assertThat(dockerfile).contains("ENV DJL_CACHE_DIR=/djl",
				"RUN java -Dorg.bytedeco.javacpp.cachedir=/javacpp -jar /app/eino-serving.jar \\\n"
						+ "        prepare-models --repository /models",
				"find /javacpp -name 'lib*.so*' -exec cp -a {} /native/ \\;");
		Path work = layers.getParent();
		Path javacpp = work.resolve("javacpp");
		Path djl = work.resolve("djl");
		String output = run(List.of(java(), "-Dorg.bytedeco.javacpp.cachedir=" + javacpp, "-DDJL_CACHE_DIR=" + djl,
				"-jar", app.resolve("eino-serving.jar").toString(), "prepare-models", "--repository",
				work.resolve("models").toString()));
		assertThat(output).contains("Prepared model 'sentiment' version")
			.contains("Prepared model 'all-minilm-l6-v2' version");
		assertThat(
				work.resolve("models/sentiment/" + io.eino.serving.sentiment.DefaultModel.VERSION + "/saved_model.pb"))
			.isRegularFile();
		assertThat(snapshot(javacpp).keySet()).anyMatch((file) -> file.endsWith("/libjnitensorflow.so"));
		assertThat(snapshot(djl).keySet()).anyMatch((file) -> file.startsWith("tokenizers/") && file.contains(".so"));
		assertThat(run(List.of(java(), "-jar", JAR.toString(), "prepare-models"), 2)).contains("usage: prepare-models");
	}

	private static Map<String, String> snapshot(Path directory) throws IOException {
		Map<String, String> files = new TreeMap<>();
		try (var walk = Files.walk(directory)) {
			for (Path file : walk.toList()) {
				files.put(directory.relativize(file).toString(), Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
						? Files.size(file) + "@" + Files.getLastModifiedTime(file) : "dir-or-link");
			}
		}
		return files;
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
				"EINO_ENCRYPTION_PLAINTEXT_DIRECTORY=/var/run/eino/plaintext",
				"EINO_RUNTIME_PLAN_DIRECTORY=/var/cache/eino/plans", "SPRING_PROFILES_ACTIVE=json", "USER 10001:10001");
		assertThat(Files.readString(Path.of("src/main/java/io/eino/serving/security/EncryptionProperties.java")))
			.contains("@ConfigurationProperties(\"eino.encryption\")", "Path plaintextDirectory");
		assertThat(Files.readString(Path.of("src/main/java/io/eino/serving/runtime/RuntimeProperties.java")))
			.contains("@ConfigurationProperties(\"eino.runtime\")", "Path planDirectory");
		// The native libraries extracted at build time are where the runtime
		// looks for them.
		assertThat(dockerfile).contains("COPY --from=build /native/ /opt/native/", "COPY --from=build /djl/ /opt/djl/",
				"-Djava.library.path=/opt/native -Dorg.bytedeco.javacpp.pathsFirst=true", "DJL_CACHE_DIR=/opt/djl");
		// The class data archive: written by a training start, used by every start.
		assertThat(dockerfile).contains("-XX:ArchiveClassesAtExit=/app/application.jsa",
				"-Dspring.context.exit=onRefresh", "-XX:SharedArchiveFile=/app/application.jsa");
		// The chart mounts the volumes the image writes to.
		JsonNode mounts = Chart.only(Chart.render(null, Map.of()), "Deployment")
			.at("/spec/template/spec/containers/0/volumeMounts");
		assertThat(mounts.findValuesAsString("mountPath")).contains("/tmp", "/var/run/eino/plaintext",
				"/var/cache/eino/plans");
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
