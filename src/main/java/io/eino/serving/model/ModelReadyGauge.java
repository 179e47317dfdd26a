package io.eino.serving.model;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

/**
 * {@code eino.model.ready{model,version}}: 1 for every version that serves, 0 for one
 * being built, draining or failed; a version the registry has forgotten has no series.
 * Rewritten whenever a status changes.
 */
public final class ModelReadyGauge {

	private final ModelRegistry registry;

	private final MultiGauge gauge;

	public ModelReadyGauge(ModelRegistry registry, MeterRegistry meters) {
		this.registry = registry;
		this.gauge = MultiGauge.builder("eino.model.ready")
			.description("1 when the model version serves, 0 while it loads, drains or after it failed")
			.register(meters);
		registry.onChange(this::refresh);
		refresh();
	}

	private synchronized void refresh() {
		List<MultiGauge.Row<?>> rows = new ArrayList<>();
		for (String model : this.registry.models()) {
			List<VersionStatus> statuses;
			try {
				statuses = this.registry.status(model);
			}
			catch (ModelNotFoundException ex) {
				continue;
			}
			for (VersionStatus status : statuses) {
				rows.add(MultiGauge.Row.of(Tags.of("model", model, "version", Long.toString(status.version())),
						(status.state() == ModelState.AVAILABLE) ? 1 : 0));
			}
		}
		this.gauge.register(rows, true);
	}

}
