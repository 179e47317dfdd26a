package io.eino.serving.model.lifecycle;

import java.util.List;

import io.eino.serving.model.ModelNotFoundException;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.model.VersionStatus;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code models}: up when every configured model has a version serving (part of the
 * readiness group).
 */
final class ModelsHealthIndicator implements HealthIndicator {

	private final ModelRegistry registry;

	ModelsHealthIndicator(ModelRegistry registry) {
		this.registry = registry;
	}

	@Override
	public Health health() {
		Health.Builder health = this.registry.allReady() ? Health.up() : Health.outOfService();
		for (String model : this.registry.models()) {
			try {
				List<VersionStatus> statuses = this.registry.status(model);
				health.withDetail(model, statuses.isEmpty() ? "not loaded" : statuses);
			}
			catch (ModelNotFoundException ex) {
				// Unloaded on request since the list was taken.
			}
		}
		return health.build();
	}

}
