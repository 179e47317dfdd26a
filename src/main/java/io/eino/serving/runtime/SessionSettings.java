package io.eino.serving.runtime;

import java.util.EnumSet;
import java.util.Set;

import io.eino.serving.graph.ActivationRanges;
import io.eino.serving.graph.GraphOptimization;
import io.eino.serving.graph.GrapplerPass;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.proto.RewriterConfig.Toggle;

/**
 * TensorFlow session configuration for one runner of a model version.
 *
 * @param intraOpThreads threads one operation may use (0: TensorFlow's choice, the core
 * count)
 * @param interOpThreads operations run in parallel (0: TensorFlow's choice)
 * @param optimization the Grappler / XLA level
 * @param bfloat16 whether oneDNN's automatic bfloat16 rewrite is on
 * @param gpu GPU placement, used when a GPU build of TensorFlow finds one
 * @param int8 whether the weight products run in int8 (dynamic quantisation of a frozen
 * graph, {@code Int8Rewrite}; only with graph optimisation on)
 * @param skipped Grappler passes left out (with graph optimisation on)
 * @param ranges with int8, the calibrated activation ranges the products are smoothed
 * with ({@link ActivationRanges#NONE}: not smoothed)
 */
public record SessionSettings(int intraOpThreads, int interOpThreads, GraphOptimization optimization, boolean bfloat16,
		Gpu gpu, boolean int8, Set<GrapplerPass> skipped, ActivationRanges ranges) {

	public static final SessionSettings DEFAULT = new SessionSettings(0, 0, GraphOptimization.DEFAULT, false,
			Gpu.DEFAULT, false);

	public SessionSettings {
		skipped = skipped.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(skipped));
		ranges = (int8 && ranges != null) ? ranges : ActivationRanges.NONE;
	}

	/** Settings with the products, if int8, quantised without calibration. */
	public SessionSettings(int intraOpThreads, int interOpThreads, GraphOptimization optimization, boolean bfloat16,
			Gpu gpu, boolean int8, Set<GrapplerPass> skipped) {
		this(intraOpThreads, interOpThreads, optimization, bfloat16, gpu, int8, skipped, ActivationRanges.NONE);
	}

	/** Settings with every Grappler pass of {@code optimization} on. */
	public SessionSettings(int intraOpThreads, int interOpThreads, GraphOptimization optimization, boolean bfloat16,
			Gpu gpu, boolean int8) {
		this(intraOpThreads, interOpThreads, optimization, bfloat16, gpu, int8, Set.of());
	}

	/**
	 * GPU options (ignored by the CPU build).
	 *
	 * @param allowGrowth allocate GPU memory as needed instead of all of it at start
	 * @param memoryFraction the share of each GPU's memory to take (0: TensorFlow's
	 * default)
	 * @param visibleDevices comma-separated GPU ids this process may use (empty: all)
	 */
	public record Gpu(boolean allowGrowth, double memoryFraction, String visibleDevices) {

		public static final Gpu DEFAULT = new Gpu(true, 0, "");

	}

	/**
	 * These settings with {@code optimization} and bf16 on or off, in fp32 products,
	 * every Grappler pass on.
	 */
	public SessionSettings withOptimization(GraphOptimization optimization, boolean bfloat16) {
		return new SessionSettings(this.intraOpThreads, this.interOpThreads, optimization, bfloat16, this.gpu, false);
	}

	/**
	 * These settings with the weight products in int8 (the rest in fp32, or bf16 where
	 * these settings have it), not smoothed.
	 */
	public SessionSettings withInt8() {
		return withInt8(ActivationRanges.NONE);
	}

	/**
	 * These settings with the weight products in int8 (the rest in fp32, or bf16 where
	 * these settings have it), smoothed with {@code ranges}.
	 */
	public SessionSettings withInt8(ActivationRanges ranges) {
		return new SessionSettings(this.intraOpThreads, this.interOpThreads, this.optimization, this.bfloat16, this.gpu,
				true, this.skipped, ranges);
	}

	/** These settings with {@code pass} left out of Grappler's rewrites. */
	public SessionSettings without(GrapplerPass pass) {
		EnumSet<GrapplerPass> passes = EnumSet.of(pass);
		passes.addAll(this.skipped);
		return new SessionSettings(this.intraOpThreads, this.interOpThreads, this.optimization, this.bfloat16, this.gpu,
				this.int8, passes, this.ranges);
	}

	public ConfigProto toConfigProto() {
		GPUOptions.Builder gpuOptions = GPUOptions.newBuilder().setAllowGrowth(this.gpu.allowGrowth());
		if (this.gpu.memoryFraction() > 0) {
			gpuOptions.setPerProcessGpuMemoryFraction(this.gpu.memoryFraction());
		}
		if (!this.gpu.visibleDevices().isBlank()) {
			gpuOptions.setVisibleDeviceList(this.gpu.visibleDevices());
		}
		return ConfigProto.newBuilder()
			.setIntraOpParallelismThreads(this.intraOpThreads)
			.setInterOpParallelismThreads(this.interOpThreads)
			.setAllowSoftPlacement(true)
			.setGpuOptions(gpuOptions)
			.setGraphOptions(graphOptions())
			.build();
	}

	private GraphOptions graphOptions() {
		if (this.optimization == GraphOptimization.NONE) {
			return GraphOptions.newBuilder()
				.setOptimizerOptions(OptimizerOptions.newBuilder()
					.setOptLevel(OptimizerOptions.Level.L0)
					.setDoConstantFolding(false)
					.setDoCommonSubexpressionElimination(false)
					.setDoFunctionInlining(false))
				.setRewriteOptions(RewriterConfig.newBuilder().setDisableMetaOptimizer(true))
				.build();
		}
		RewriterConfig.Builder rewrites = RewriterConfig.newBuilder()
			.setConstantFolding(Toggle.ON)
			.setArithmeticOptimization(Toggle.ON)
			.setRemapping(Toggle.ON)
			// Layout conversions pay only on a GPU; on the CPU build the pass changes
			// nothing
			// and costs about 1 s of the first run on a 90 MB graph. The memory
			// optimiser's
			// swapping and recomputation serve training; on an inference graph it changed
			// nothing and cost 2.2 s.
			.setLayoutOptimizer(CpuFeatures.gpuBuild() ? Toggle.ON : Toggle.OFF)
			.setMemoryOptimization(RewriterConfig.MemOptType.NO_MEM_OPT)
			.setShapeOptimization(Toggle.ON)
			.setDependencyOptimization(Toggle.ON)
			.setCommonSubgraphElimination(Toggle.ON)
			.setMetaOptimizerIterations(RewriterConfig.NumIterationsType.TWO)
			// TensorFlow's MLIR hook runs no rewrite yet (its source says so), but it
			// converts the whole graph to MLIR and back on every first run, printing and
			// parsing each weight as a text proto: about a third of the first run's
			// Grappler time on the default model.
			.setDisableTfgOptimizer(true)
			.setAutoMixedPrecisionOnednnBfloat16(this.bfloat16 ? Toggle.ON : Toggle.OFF);
		if (this.skipped.contains(GrapplerPass.CONSTANT_FOLDING)) {
			rewrites.setConstantFolding(Toggle.OFF);
		}
		if (this.skipped.contains(GrapplerPass.REMAPPING)) {
			rewrites.setRemapping(Toggle.OFF);
		}
		OptimizerOptions.Builder optimizer = OptimizerOptions.newBuilder().setOptLevel(OptimizerOptions.Level.L1);
		if (this.optimization == GraphOptimization.FULL) {
			optimizer.setGlobalJitLevel(OptimizerOptions.GlobalJitLevel.ON_1);
		}
		return GraphOptions.newBuilder().setOptimizerOptions(optimizer).setRewriteOptions(rewrites).build();
	}

}
