package io.eino.serving.operations;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * promtool and the Prometheus server from Debian's {@code prometheus} package, unpacked
 * under {@code .tools/prometheus} by {@code bin/install-prometheus} (which this runs when
 * they are missing). Where the package cannot be had (not Debian, no network), the tests
 * that need it are skipped with the reason, except in CI ({@code CI} set), where that
 * fails them.
 */
public final class PrometheusTools {

	static final Path HOME = Path.of(".tools", "prometheus", "usr", "bin").toAbsolutePath();

	private PrometheusTools() {
	}

	public static Path promtool() {
		return binary("promtool");
	}

	static Path prometheus() {
		return binary("prometheus");
	}

	private static synchronized Path binary(String name) {
		Path binary = HOME.resolve(name);
		if (!Files.isExecutable(binary)) {
			Result install = run(List.of("bin/install-prometheus"), 300);
			if (!Files.isExecutable(binary)) {
				String reason = "Debian's prometheus package could not be unpacked (bin/install-prometheus: "
						+ install.output().strip() + ")";
				if (System.getenv("CI") != null) {
					throw new AssertionError(reason);
				}
				Assumptions.abort(reason);
			}
		}
		return binary;
	}

	/** A finished command: its exit status and its output (stdout and stderr). */
	record Result(int exitCode, String output) {
	}

	static Result run(List<String> command, long timeoutSeconds) {
		try {
			Path output = Files.createTempFile("eino-tool", ".log");
			try {
				Process process = new ProcessBuilder(command).redirectErrorStream(true)
					.redirectOutput(output.toFile())
					.start();
				if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
					process.destroyForcibly();
					throw new AssertionError(command + " did not finish within " + timeoutSeconds + " s");
				}
				return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
			}
			finally {
				Files.deleteIfExists(output);
			}
		}
		catch (IOException ex) {
			return new Result(-1, ex.toString());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("interrupted", ex);
		}
	}

	/** Runs a tool and asserts it succeeded. */
	public static String check(Path tool, String... arguments) {
		List<String> command = new ArrayList<>();
		command.add(tool.toString());
		command.addAll(List.of(arguments));
		Result result = run(command, 120);
		assertThat(result.exitCode()).as("%s exit status; output:%n%s", command, result.output()).isZero();
		return result.output();
	}

}
