package io.eino.serving.plugin;

import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The audit log: one JSON line per text request on the {@code eino.audit} logger, with
 * model, version, latency, outcome, error tier and client; the texts (as they went to the
 * model, so after masking) only when configured. Runs last.
 */
public final class AuditLogPlugin implements InferencePlugin {

	/** The logger the lines go to; route it with the logging configuration. */
	public static final String LOGGER = "eino.audit";

	private static final Logger audit = LoggerFactory.getLogger(LOGGER);

	private static final JsonMapper JSON = JsonMapper.shared();

	private final boolean includeText;

	public AuditLogPlugin(boolean includeText) {
		this.includeText = includeText;
	}

	@Override
	public int order() {
		return Integer.MAX_VALUE;
	}

	@Override
	public Mono<Void> after(RequestContext context, PluginOutput output) {
		return Mono.fromRunnable(() -> audit.info(line(context, output)));
	}

	String line(RequestContext context, PluginOutput output) {
		Map<String, Object> line = new LinkedHashMap<>();
		line.put("model", context.model());
		line.put("version", output.version());
		line.put("latency_ms", Math.round(output.latencyNanos() / 1e4) / 100.0);
		line.put("outcome", output.outcome());
		line.put("tier", output.tier());
		line.put("client", context.client());
		line.put("trace_id", context.traceId());
		line.put("texts", output.texts().size());
		if (this.includeText) {
			line.put("text", output.texts());
		}
		return JSON.writeValueAsString(line);
	}

}
