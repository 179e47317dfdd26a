package io.eino.serving.model.loading;

import java.nio.file.Path;

import io.eino.serving.runtime.SessionSettings;

/**
 * A stored startup plan's session settings, read as the loader reads them, for the
 * benchmark's in-process session (which runs what the service chose).
 */
public final class StoredPlans {

	private StoredPlans() {
	}

	/**
	 * The settings the plan in {@code file} chose, on {@code base}'s thread layout.
	 * @throws IllegalArgumentException if there is no readable plan there
	 */
	public static SessionSettings settings(Path file, SessionSettings base) {
		StartupPlans.Plan plan = PlanHome.read(file);
		if (plan == null) {
			throw new IllegalArgumentException("No readable startup plan in " + file);
		}
		return plan.settings(base);
	}

}
