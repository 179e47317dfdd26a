package io.eino.serving.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.Failure;
import io.eino.serving.error.Problems;
import io.eino.serving.error.Rule;
import jdk.jfr.Recording;
import one.convert.Arguments;
import one.convert.JfrToFlame;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.http.MediaType;

/**
 * {@code GET :8081/actuator/profile?mode=cpu|alloc|wall&seconds=N&format=html|collapsed}
 * (docs/operations.md, "Profiling"): records the running process for N seconds (1 to 300,
 * 30 by default) and answers an interactive flame graph (HTML, to open in a browser) or
 * the collapsed stacks. One recording at a time; another request meanwhile gets 409
 * (problem {@code in-progress}); parameters out of range get 400
 * ({@code invalid-parameter}).
 *
 * <p>
 * The recording is the JDK's Flight Recorder, which is always there and costs about 1 %;
 * async-profiler's converter (Maven Central {@code tools.profiler:jfr-converter}) turns
 * it into the flame graph. async-profiler's own native sampler is not used: started twice
 * under load it crashed the JVM inside TensorFlow's thread pool on this project's
 * machine. JFR samples Java code; time inside TensorFlow shows in {@code wall} mode as
 * the native method that called it.
 */
@WebEndpoint(id = "profile")
public class ProfileEndpoint {

	static final int MAX_SECONDS = 300;

	private static final Set<String> MODES = Set.of("cpu", "alloc", "wall");

	private static final String PATH = "/actuator/profile";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final AtomicBoolean recording = new AtomicBoolean();

	private final ErrorMetrics errors;

	ProfileEndpoint(ErrorMetrics errors) {
		this.errors = errors;
	}

	@ReadOperation(produces = { "text/html", "text/plain" })
	public WebEndpointResponse<byte[]> profile(@Nullable String mode, @Nullable Integer seconds,
			@Nullable String format) {
		String kind = (mode != null) ? mode.toLowerCase(Locale.ROOT) : "cpu";
		int length = (seconds != null) ? seconds : 30;
		boolean collapsed = "collapsed".equals(format);
		if (!MODES.contains(kind) || length < 1 || length > MAX_SECONDS
				|| (format != null && !collapsed && !"html".equals(format))) {
			return problem(Rule.INVALID_PARAMETER,
					"mode is cpu, alloc or wall; seconds is 1 to " + MAX_SECONDS + "; format is html or collapsed");
		}
		if (!this.recording.compareAndSet(false, true)) {
			return problem(Rule.IN_PROGRESS, "A profile is being recorded; try again when it is done");
		}
		try {
			byte[] graph = record(kind, Duration.ofSeconds(length), collapsed);
			return new WebEndpointResponse<>(graph, 200);
		}
		catch (IOException | RuntimeException ex) {
			return problem(Rule.INTERNAL_ERROR, "The profile could not be recorded: " + ex.getMessage());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return problem(Rule.INTERNAL_ERROR, "Interrupted while recording");
		}
		finally {
			this.recording.set(false);
		}
	}

	private static byte[] record(String mode, Duration length, boolean collapsed)
			throws IOException, InterruptedException {
		Path directory = Files.createTempDirectory("eino-profile");
		Path jfr = directory.resolve("profile.jfr");
		Path output = directory.resolve(collapsed ? "profile.collapsed" : "profile.html");
		try (Recording recording = new Recording()) {
			switch (mode) {
				case "alloc" -> {
					recording.enable("jdk.ObjectAllocationInNewTLAB").withStackTrace();
					recording.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
				}
				case "wall" -> {
					recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
					recording.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(10));
				}
				default -> recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
			}
			recording.start();
			Thread.sleep(length.toMillis());
			recording.stop();
			recording.dump(jfr);
			Arguments arguments = switch (mode) {
				case "alloc" -> new Arguments("--alloc");
				case "wall" -> new Arguments("--wall");
				default -> new Arguments();
			};
			arguments.title = "eino-serving " + mode + ", " + length.toSeconds() + " s";
			if (collapsed) {
				arguments.output = "collapsed";
			}
			JfrToFlame.convert(jfr.toString(), output.toString(), arguments);
			return Files.readAllBytes(output);
		}
		finally {
			Files.deleteIfExists(jfr);
			Files.deleteIfExists(output);
			Files.deleteIfExists(directory);
		}
	}

	/**
	 * A refusal as the problem the rest of the service answers (the operation's own media
	 * types are for the flame graph), counted like every other.
	 */
	private WebEndpointResponse<byte[]> problem(Rule rule, String detail) {
		Failure failure = new Failure(rule, detail);
		this.errors.count(failure);
		byte[] body = JSON.writeValueAsBytes(Problems.body(failure, PATH, null));
		return new WebEndpointResponse<>(body, rule.status(), MediaType.APPLICATION_PROBLEM_JSON);
	}

}
