package io.eino.serving.operator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class OperatorRegistryTest {

	private final OperatorRegistry registry = new OperatorRegistry(List
		.of(OperatorDefinition.postprocess("double", (args) -> BuiltInOperators.elementwise((value) -> value * 2))));

	private static Scores scores(float... values) {
		return new Scores(values, List.of());
	}

	@Test
	void runsBuiltInAndRegisteredOperatorsInOrder() {
		Pipeline pipeline = this.registry.compile(List.of(new OperatorSpec("lowercase", Map.of())),
				List.of(new OperatorSpec("relu", Map.of()), new OperatorSpec("double", Map.of()),
						new OperatorSpec("softmax", Map.of()),
						new OperatorSpec("labels", Map.of("names", List.of("a", "b", "c")))));
		assertThat(pipeline.preprocess("GREAT Film")).isEqualTo("great film");
		Scores result = pipeline.postprocess(scores(-1f, 0f, 1f));
		assertThat(result.labels()).containsExactly("a", "b", "c");
		// relu → [0, 0, 1]; double → [0, 0, 2]; softmax of that.
		double e2 = Math.exp(2);
		assertThat(result.values()[2]).isCloseTo((float) (e2 / (2 + e2)), within(1e-6f));
		assertThat(result.values()[0] + result.values()[1] + result.values()[2]).isCloseTo(1f, within(1e-6f));
	}

	@Test
	void argmaxKeepsTheBestValueAndItsLabel() {
		Pipeline pipeline = this.registry.compile(List.of(),
				OperatorSpec.parse(List.of(Map.of("name", "labels", "names", List.of("neg", "pos")), "argmax")));
		Scores best = pipeline.postprocess(scores(0.2f, 0.8f));
		assertThat(best.labels()).containsExactly("pos");
		assertThat(best.values()).containsExactly(0.8f);
	}

	@Test
	void refusesUnknownOperatorsWrongStagesAndBadArguments() {
		assertThatThrownBy(() -> this.registry.compile(List.of(), List.of(new OperatorSpec("custom_relu", Map.of()))))
			.hasMessageContaining("Unknown operator 'custom_relu'")
			.hasMessageContaining("double");
		assertThatThrownBy(() -> this.registry.compile(List.of(new OperatorSpec("softmax", Map.of())), List.of()))
			.hasMessageContaining("'softmax' is a postprocess operator");
		assertThatThrownBy(() -> this.registry.compile(List.of(), List.of(new OperatorSpec("labels", Map.of()))))
			.hasMessageContaining("needs 'names'");
		assertThatThrownBy(() -> new OperatorRegistry(List.of(OperatorDefinition.postprocess("relu", (args) -> null))))
			.hasMessageContaining("Two operators are named 'relu'");
	}

	@Test
	void aMissingCustomOpLibraryIsAClearError(@TempDir Path directory) {
		assertThatThrownBy(() -> OperatorConfiguration.loadLibrary(directory.resolve("libmissing.so")))
			.isInstanceOf(IllegalStateException.class)
			.hasMessageContaining("libmissing.so")
			.hasMessageContaining("eino.operators.custom-op-libraries");
	}

	@Test
	void aFileThatIsNotALibraryIsAClearError(@TempDir Path directory) throws IOException {
		Path bogus = Files.writeString(directory.resolve("libbogus.so"), "not an ELF file");
		assertThatThrownBy(() -> OperatorConfiguration.loadLibrary(bogus)).isInstanceOf(IllegalStateException.class)
			.hasMessageContaining("TensorFlow could not load custom-op library")
			.hasMessageContaining("libbogus.so");
	}

	/**
	 * A {@code RegisterOp("custom_relu", …)} as a real TensorFlow custom-op library,
	 * built here with gcc: it registers op {@code EinoCustomRelu} through TensorFlow's C
	 * op-registration API when loaded. No Maven Central artifact ships TensorFlow's C
	 * headers, so the few declarations it needs are written out (opaque pointers, the
	 * stable C ABI), and it links against the TensorFlow library this JVM loaded, as any
	 * custom-op library links against the framework it extends.
	 */
	@Test
	void loadsACustomOpLibraryThatRegistersAnOp(@TempDir Path directory) throws Exception {
		Path source = Files.writeString(directory.resolve("custom_relu.c"), """
				typedef struct TF_OpDefinitionBuilder TF_OpDefinitionBuilder;
				typedef struct TF_Status TF_Status;
				extern TF_OpDefinitionBuilder* TF_NewOpDefinitionBuilder(const char* op_name);
				extern void TF_OpDefinitionBuilderAddInput(TF_OpDefinitionBuilder* builder, const char* spec);
				extern void TF_OpDefinitionBuilderAddOutput(TF_OpDefinitionBuilder* builder, const char* spec);
				extern void TF_RegisterOpDefinition(TF_OpDefinitionBuilder* builder, TF_Status* status);
				extern TF_Status* TF_NewStatus(void);
				extern void TF_DeleteStatus(TF_Status* status);
				__attribute__((constructor)) static void register_custom_relu(void) {
				  TF_OpDefinitionBuilder* builder = TF_NewOpDefinitionBuilder("EinoCustomRelu");
				  TF_OpDefinitionBuilderAddInput(builder, "x: float");
				  TF_OpDefinitionBuilderAddOutput(builder, "y: float");
				  TF_Status* status = TF_NewStatus();
				  TF_RegisterOpDefinition(builder, status);
				  TF_DeleteStatus(status);
				}
				""");
		Path library = directory.resolve("libcustom_relu.so");
		Process gcc;
		try {
			org.tensorflow.TensorFlow.version();
			Path tensorflow = Files.readAllLines(Path.of("/proc/self/maps"))
				.stream()
				.filter((line) -> line.contains("libtensorflow_cc.so"))
				.map((line) -> Path.of(line.substring(line.indexOf('/'))))
				.findFirst()
				.orElseThrow();
			gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-o", library.toString(), source.toString(),
					tensorflow.toString(), "-Wl,-rpath," + tensorflow.getParent())
				.redirectErrorStream(true)
				.start();
		}
		catch (IOException ex) {
			assumeTrue(false, "no C compiler here to build a library: " + ex.getMessage());
			return;
		}
		// A compiler that is there but cannot build the library is a failure, not a skip.
		String output = new String(gcc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		assertThat(gcc.waitFor(60, TimeUnit.SECONDS)).as("gcc finished").isTrue();
		assertThat(gcc.exitValue()).as("gcc's exit status; its output: %s", output).isZero();
		org.tensorflow.TensorFlow.version();
		assertThat(OperatorConfiguration.loadLibrary(library).getOpList()).extracting((op) -> op.getName())
			.containsExactly("EinoCustomRelu");
	}

}
