package io.eino.serving.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The alerts and the dashboard as the chart installs them, read against the conventions
 * of kube-prometheus (docs/operations.md, "Alerts"): Alertmanager routes on
 * {@code severity} {@code critical}/{@code warning}; alerts of two releases never merge;
 * runbooks are absolute links; an alert still fires when no instance is left to report
 * anything; and the dashboard can tell namespaces apart.
 */
class MonitoringChartTest {

	private static final Map<String, Object> MONITORING = Map.of("monitoring.prometheusRule.enabled", true,
			"monitoring.serviceMonitor.enabled", true, "monitoring.grafanaDashboard.enabled", true);

	private static final Pattern BY = Pattern.compile("\\bby \\(([^)]*)\\)");

	private static final Pattern WITHOUT_BY = Pattern
		.compile("\\b(sum|min|max|avg|count|stddev|stdvar|topk|bottomk|quantile|group)\\s*(\\(|without)");

	private static final Pattern SELECTOR = Pattern.compile("(eino[_:][a-z0-9_:]+)(\\{[^}]*\\})?");

	@Test
	void alertsRouteBySeverityAndLinkAbsoluteConfigurableRunbooks() throws IOException {
		String base = "https://wiki.example.com/runbooks/eino";
		List<JsonNode> alerts = alerts(
				Chart.render(null, with("monitoring.prometheusRule.runbookBaseUrl", base + "/")));
		assertThat(alerts).hasSizeGreaterThanOrEqualTo(9);
		String operations = Files.readString(Path.of("docs", "operations.md"));
		for (JsonNode alert : alerts) {
			String name = alert.path("alert").asString();
			assertThat(alert.at("/labels/severity").asString()).as(name).isIn("critical", "warning");
			assertThat(alert.at("/annotations/runbook_url").asString()).as(name)
				.isEqualTo(base + "#" + name.toLowerCase());
			assertThat(alert.at("/annotations").has("runbook")).as(name).isFalse();
			assertThat(operations).as("a runbook paragraph for " + name).contains("\n### " + name + "\n");
		}
		for (JsonNode alert : alerts(Chart.render(null, MONITORING))) {
			assertThat(alert.at("/annotations/runbook_url").asString())
				.startsWith("https://github.com/eino-serving/eino-serving/blob/main/docs/operations.md#");
		}
	}

	/**
	 * Two releases in two namespaces scraped by one Prometheus: an aggregation that
	 * dropped {@code namespace} or {@code job} would add one release's errors to the
	 * other's.
	 */
	@Test
	void everyAggregationKeepsNamespaceAndJob() {
		JsonNode rule = Chart.only(Chart.render(null, MONITORING), "PrometheusRule");
		List<String> expressions = rule.findValuesAsString("expr");
		assertThat(expressions).isNotEmpty();
		int aggregations = 0;
		for (String expression : expressions) {
			Matcher by = BY.matcher(expression);
			while (by.find()) {
				aggregations++;
				Set<String> labels = Set.of(by.group(1).split(",\\s*"));
				assertThat(labels).as(expression).contains("namespace", "job");
			}
		}
		assertThat(aggregations).isGreaterThan(10);
		// An aggregation without "by" drops every label.
		assertThat(expressions).noneMatch((expression) -> WITHOUT_BY.matcher(expression).find());
	}

	/**
	 * Once every pod is gone there are no series for "model not ready" to see; the absent
	 * alert selects this release's own scrape job (the management Service the
	 * ServiceMonitor scrapes) in its own namespace, so another release's instances do not
	 * hide it.
	 */
	@Test
	void anAlertFiresWhenNoInstanceOfThisReleaseIsLeft() {
		List<JsonNode> objects = Chart.render(null, MONITORING);
		JsonNode absent = alerts(objects).stream()
			.filter((alert) -> alert.path("expr").asString().contains("absent("))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no alert uses absent()"));
		// Prometheus Operator names the job after the Service it scrapes.
		String job = Chart.RELEASE + "-management";
		JsonNode service = objects.stream()
			.filter((object) -> Chart.kindAndName(object).equals("Service/" + job))
			.findFirst()
			.orElseThrow();
		Chart.only(objects, "ServiceMonitor")
			.at("/spec/selector/matchLabels")
			.propertyStream()
			.forEach((label) -> assertThat(service.at("/metadata/labels").path(label.getKey()).asString())
				.as("the ServiceMonitor selects " + job)
				.isEqualTo(label.getValue().asString()));
		String selector = "up{job=\"" + job + "\", namespace=\"" + Chart.NAMESPACE + "\"}";
		assertThat(absent.path("expr").asString()).contains("absent(" + selector + ")")
			.doesNotContain("job=\"eino-serving\"");
		assertThat(absent.at("/labels/severity").asString()).isEqualTo("critical");
		// Scraped some other way: the job must be named, or the alert would watch a job
		// that
		// never exists and fire for ever.
		Map<String, Object> ownScrape = new java.util.HashMap<>(MONITORING);
		ownScrape.put("monitoring.serviceMonitor.enabled", false);
		assertThatThrownBy(() -> Chart.render(null, ownScrape)).hasMessageContaining("monitoring.prometheusRule.job");
		ownScrape.put("monitoring.prometheusRule.job", "kubernetes-pods");
		assertThat(alerts(Chart.render(null, ownScrape)).stream().map((alert) -> alert.path("expr").asString()))
			.anyMatch((expr) -> expr.contains("absent(up{job=\"kubernetes-pods\", namespace=\"eino\"})"));
	}

	@Test
	void theDashboardHasANamespaceVariableThatEveryQueryFollows() {
		JsonNode configMap = Chart.render(null, MONITORING)
			.stream()
			.filter((object) -> Chart.kindAndName(object).equals("ConfigMap/" + Chart.RELEASE + "-dashboard"))
			.findFirst()
			.orElseThrow();
		JsonNode dashboard = JsonMapper.builder().build().readTree(configMap.at("/data/eino-serving.json").asString());
		List<String> variables = dashboard.at("/templating/list")
			.valueStream()
			.map((variable) -> variable.path("name").asString())
			.toList();
		assertThat(variables).containsSubsequence("namespace", "model");
		JsonNode namespace = dashboard.at("/templating/list")
			.valueStream()
			.filter((variable) -> variable.path("name").asString().equals("namespace"))
			.findFirst()
			.orElseThrow();
		// Series without a namespace label (one Prometheus beside one instance) match
		// ".*".
		assertThat(namespace.path("allValue").asString()).isEqualTo(".*");
		List<String> targets = dashboard.findValuesAsString("expr");
		assertThat(targets).hasSizeGreaterThan(10);
		for (String expression : targets) {
			Matcher selector = SELECTOR.matcher(expression);
			while (selector.find()) {
				assertThat(selector.group(2)).as(expression).isNotNull().contains("namespace=~\"$namespace\"");
			}
		}
	}

	private static Map<String, Object> with(String key, Object value) {
		Map<String, Object> values = new java.util.HashMap<>(MONITORING);
		values.put(key, value);
		return values;
	}

	private static List<JsonNode> alerts(List<JsonNode> objects) {
		return Chart.only(objects, "PrometheusRule")
			.at("/spec/groups")
			.valueStream()
			.flatMap((group) -> group.path("rules").valueStream())
			.filter((rule) -> rule.has("alert"))
			.collect(Collectors.toList());
	}

}
