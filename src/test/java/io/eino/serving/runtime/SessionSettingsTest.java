package io.eino.serving.runtime;

import io.eino.serving.graph.GraphOptimization;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.proto.RewriterConfig.Toggle;

import static org.assertj.core.api.Assertions.assertThat;

class SessionSettingsTest {

	@Test
	void theKernelRegistryIsReadable() {
		// gpuBuild() reads the same registry: were it unreadable it would say "no GPU"
		// on every build.
		assertThat(CpuFeatures.kernelsOn("CPU")).isTrue();
		assertThat(CpuFeatures.kernelsOn("no such device")).isFalse();
	}

	@Test
	void passesThatOnlyPayOnAGpuOrInTrainingAreLeftOut() {
		RewriterConfig rewrites = SessionSettings.DEFAULT.toConfigProto().getGraphOptions().getRewriteOptions();

		assertThat(rewrites.getLayoutOptimizer()).isEqualTo(CpuFeatures.gpuBuild() ? Toggle.ON : Toggle.OFF);
		assertThat(rewrites.getMemoryOptimization()).isEqualTo(RewriterConfig.MemOptType.NO_MEM_OPT);
		assertThat(rewrites.getRemapping()).isEqualTo(Toggle.ON);
		assertThat(rewrites.getDisableMetaOptimizer()).isFalse();
	}

	@Test
	void noOptimisationTurnsGrapplerOff() {
		SessionSettings none = SessionSettings.DEFAULT.withOptimization(GraphOptimization.NONE, false);

		assertThat(none.toConfigProto().getGraphOptions().getRewriteOptions().getDisableMetaOptimizer()).isTrue();
	}

}
