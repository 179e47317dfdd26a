package io.eino.serving.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.Rule;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.inference.RequestOptions;
import io.eino.serving.inference.ResolvedRequest;
import io.eino.serving.plugin.TextPrediction;
import io.eino.serving.validation.InputPolicies;
import io.eino.serving.validation.InvalidInputException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

/**
 * KServe V1's explain API for text classifiers (docs/protocols.md, "Explain"): each
 * word's weight is how much the predicted label's probability drops when the word is left
 * out (occlusion, one variant per word, run as one batched text request per text). A word
 * whose removal leaves no text is weighed against the uniform prior. Texts may hold at
 * most {@value #MAX_WORDS} words.
 */
@RestController
class ExplainController {

	static final int MAX_WORDS = 32;

	private final InferenceService inference;

	private final InputPolicies policies;

	private final ClientResolver clients;

	ExplainController(InferenceService inference, InputPolicies policies, ClientResolver clients) {
		this.inference = inference;
		this.policies = policies;
		this.clients = clients;
	}

	@PostMapping(path = { "/v1/models/{model}:explain", "/v1/models/{model}/versions/{version}:explain" },
			consumes = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<Map<String, Object>>> explain(@PathVariable String model,
			@PathVariable(required = false) Long version, ServerWebExchange exchange) {
		return Mono.fromCallable(() -> ApiHeaders.requestOptions(exchange, this.clients))
			.flatMap((options) -> RequestBodies
				.json(exchange.getRequest(), this.policies.forModel(model).limits().maxBodySize())
				.flatMap((body) -> explain(model, version, body, options, exchange)));
	}

	private Mono<ResponseEntity<Map<String, Object>>> explain(String model, Long version, JsonNode body,
			RequestOptions options, ServerWebExchange exchange) {
		return Mono.defer(() -> {
			Predictions.requireObject(body);
			JsonNode instances = body.get("instances");
			List<String> texts = (instances != null) ? Predictions.texts(instances) : null;
			if (texts == null) {
				throw new InvalidInputException(Rule.REQUEST_SHAPE, "An explain request holds 'instances': texts");
			}
			return Resolutions.<ResponseEntity<Map<String, Object>>>run(exchange, this.inference, model, version,
					(request) -> {
						request.classifier("explain", null);
						List<List<String>> words = new ArrayList<>();
						for (String text : texts) {
							List<String> split = List.of(text.trim().split("\\s+"));
							if (split.size() > MAX_WORDS) {
								throw new InvalidInputException(Rule.TEXT_LENGTH,
										"An explained text holds at most " + MAX_WORDS + " words, got " + split.size());
							}
							words.add(split);
						}
						Mono<List<Explanation>> explained = Flux.range(0, texts.size())
							.concatMap((index) -> explainOne(request, texts.get(index), words.get(index), options))
							.collectList();
						return explained.map((explanations) -> {
							List<Map<String, Object>> json = new ArrayList<>();
							explanations.forEach((explanation) -> json.add(explanation.json()));
							return ResponseEntity.ok()
								.header(ApiHeaders.MODEL_VERSION, Long.toString(explanations.get(0).version()))
								.body(Map.<String, Object>of("explanations", json));
						});
					});
		});
	}

	private record Explanation(long version, Map<String, Object> json) {
	}

	private Mono<Explanation> explainOne(ResolvedRequest request, String text, List<String> words,
			RequestOptions options) {
		List<String> variants = new ArrayList<>();
		variants.add(text);
		List<Integer> runIndex = new ArrayList<>();
		for (int i = 0; i < words.size(); i++) {
			List<String> rest = new ArrayList<>(words);
			rest.remove(i);
			if (rest.isEmpty()) {
				runIndex.add(-1);
			}
			else {
				runIndex.add(variants.size());
				variants.add(String.join(" ", rest));
			}
		}
		return this.inference.predictText(request, variants, options).map((result) -> {
			TextPrediction.Classification full = (TextPrediction.Classification) result.predictions().get(0);
			double prior = 1.0 / full.scores().size();
			List<Object> weights = new ArrayList<>();
			for (int i = 0; i < words.size(); i++) {
				int at = runIndex.get(i);
				double without = (at < 0) ? prior
						: ((TextPrediction.Classification) result.predictions().get(at)).scores().get(full.label());
				Map<String, Object> word = new LinkedHashMap<>();
				word.put("word", words.get(i));
				word.put("weight", Math.round((full.score() - without) * 1e6) / 1e6);
				weights.add(word);
			}
			Map<String, Object> json = new LinkedHashMap<>();
			json.put("label", full.label());
			json.put("score", full.score());
			json.put("words", weights);
			return new Explanation(result.version(), json);
		});
	}

}
