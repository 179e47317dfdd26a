package io.eino.serving.runtime;

import java.nio.file.Path;

import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.Precision;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * TensorFlow sessions and the startup optimisation step: {@code eino.runtime.*}. What the
 * zeros mean on this machine is {@link RuntimeLayout}'s.
 *
 * @param intraOpThreads threads one TensorFlow operation may use; 0 = cores divided by
 * the instances
 * @param interOpThreads TensorFlow operations run side by side per session; 0 = 2
 * @param instances runners (sessions, each with its own thread) per model version; 0 =
 * one per two cores, at least one
 * @param graphOptimization Grappler / XLA level of the startup step
 * @param precision fp32, or auto: bfloat16 where the CPU has it and it passes the
 * accuracy check
 * @param gpu GPU session options (the {@code gpu} build only)
 * @param planDirectory where the startup step's plans are stored, as
 * {@code <model>/<version>/startup-plan.json}, instead of in each version's directory:
 * for a read-only repository (the container image's), so that a restart reuses them;
 * unset: beside the versions
 */
@Validated
@ConfigurationProperties("eino.runtime")
public record RuntimeProperties(@Min(0) @DefaultValue("0") int intraOpThreads,
		@Min(0) @DefaultValue("0") int interOpThreads, @Min(0) @DefaultValue("0") int instances,
		@NotNull @DefaultValue("default") GraphOptimization graphOptimization,
		@NotNull @DefaultValue("auto") Precision precision, @Valid @DefaultValue Gpu gpu, Path planDirectory) {

	/**
	 * GPU session options; the CPU build ignores them.
	 *
	 * @param allowGrowth take GPU memory as needed rather than all at start
	 * @param memoryFraction share of each GPU's memory to take; 0 = TensorFlow's default
	 * @param visibleDevices comma-separated GPU ids to use; empty = all
	 */
	public record Gpu(@DefaultValue("true") boolean allowGrowth,
			@DecimalMin("0.0") @DecimalMax("1.0") @DefaultValue("0") double memoryFraction,
			@NotNull @DefaultValue("") String visibleDevices) {
	}

}
