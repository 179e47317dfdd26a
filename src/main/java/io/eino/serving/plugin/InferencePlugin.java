package io.eino.serving.plugin;

import reactor.core.publisher.Mono;

/**
 * A hook around every text inference, before and after it (docs/request-path.md). Plugins
 * are Spring beans of this type, run in ascending {@link #order()}; {@code before} runs
 * after validation and before rate limiting and tokenization, {@code after} once the
 * request has an outcome, success or failure.
 *
 * <p>
 * Contract: both methods run on the request's thread and must not block; work that blocks
 * goes on a scheduler of the plugin's own. An error from {@code before} fails the request
 * (classified like any other failure); an error from {@code after} is logged and does not
 * change the response. The types passed are plain Java types of this package.
 */
public interface InferencePlugin {

	/** Lower runs first; plugins of equal order run in bean registration order. */
	default int order() {
		return 0;
	}

	/** Sees, and may rewrite, the validated texts before they reach the model. */
	default Mono<Void> before(RequestContext context, PluginInput input) {
		return Mono.empty();
	}

	/** Sees the outcome of the request. */
	default Mono<Void> after(RequestContext context, PluginOutput output) {
		return Mono.empty();
	}

}
