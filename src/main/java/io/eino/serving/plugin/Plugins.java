package io.eino.serving.plugin;

import java.util.Comparator;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The configured plugins, in order. Immutable.
 */
public final class Plugins {

	private static final Logger logger = LoggerFactory.getLogger(Plugins.class);

	private final List<InferencePlugin> plugins;

	public Plugins(List<InferencePlugin> plugins) {
		this.plugins = plugins.stream().sorted(Comparator.comparingInt(InferencePlugin::order)).toList();
	}

	/**
	 * Runs every {@code before}, one after another; the first error fails the request.
	 */
	public Mono<Void> before(RequestContext context, PluginInput input) {
		if (this.plugins.isEmpty()) {
			return Mono.empty();
		}
		return Flux.fromIterable(this.plugins).concatMap((plugin) -> plugin.before(context, input)).then();
	}

	/** Runs every {@code after}, one after another; errors are logged, never raised. */
	public Mono<Void> after(RequestContext context, PluginOutput output) {
		if (this.plugins.isEmpty()) {
			return Mono.empty();
		}
		return Flux.fromIterable(this.plugins)
			.concatMap((plugin) -> plugin.after(context, output).onErrorResume((ex) -> {
				logger.warn("Plugin {} failed after request {}: {}", plugin.getClass().getName(), context.traceId(),
						ex.toString());
				return Mono.empty();
			}))
			.then();
	}

}
