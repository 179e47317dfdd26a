package io.eino.serving.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The GitHub workflow ({@code .github/workflows/ci.yml}): what runs only there runs, and
 * nothing it uses can change under it.
 */
class WorkflowTest {

	private static final Path WORKFLOW = Path.of(".github", "workflows", "ci.yml");

	/** {@code owner/name@<40 hex digits> # vX.Y.Z}: a commit, and the release it is. */
	private static final Pattern PINNED = Pattern
		.compile("uses: [\\w.-]+/[\\w.-]+@[0-9a-f]{40} # v\\d+\\.\\d+\\.\\d+$");

	@Test
	void everyActionIsPinnedByTheCommitOfANamedRelease() throws Exception {
		List<String> uses = new ArrayList<>();
		for (String line : Files.readAllLines(WORKFLOW)) {
			Matcher use = Pattern.compile("uses: .*").matcher(line);
			if (use.find()) {
				uses.add(use.group());
			}
		}
		assertThat(uses).hasSizeGreaterThan(5).allMatch((use) -> PINNED.matcher(use).matches());
	}

	@Test
	void theJobsRunWhatCannotRunOnTheBuildMachines() throws Exception {
		JsonNode jobs = YAMLMapper.builder().build().readTree(WORKFLOW.toFile()).path("jobs");
		assertThat(runs(jobs.path("verify"))).contains("-Deino.vault-container.required=true");
		assertThat(runs(jobs.path("image"))).contains("bin/build-image", "bin/test-image", "bin/test-compose");
		assertThat(runs(jobs.path("compose"))).contains("docker compose up", "vault-init", "localhost:3000");
		assertThat(runs(jobs.path("kind"))).contains("helm install", "helm test");
	}

	private static String runs(JsonNode job) {
		StringBuilder runs = new StringBuilder();
		job.path("steps").forEach((step) -> runs.append(step.path("run").asString("")).append('\n'));
		return runs.toString();
	}

}
