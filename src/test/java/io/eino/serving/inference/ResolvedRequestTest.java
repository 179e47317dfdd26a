package io.eino.serving.inference;

import io.eino.serving.error.Rule;
import io.eino.serving.model.StubVersion;
import io.eino.serving.validation.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The decisions a resolution makes once per request, on a stub text classifier whose one
 * signature is {@code serving_default}: which signature runs, which are refused
 * {@code unknown-signature} and why, and that the version is released with the last hold.
 */
class ResolvedRequestTest {

	private final StubVersion version = new StubVersion("reviews", 4);

	private ResolvedRequest resolved() {
		this.version.acquire();
		return new ResolvedRequest(this.version, false);
	}

	@Test
	void textRunsTheTextPipelinesSignatureAndNoOther() {
		ResolvedRequest request = resolved();
		assertThat(request.textSignature(null)).isEqualTo("serving_default");
		assertThat(request.textSignature("serving_default")).isEqualTo("serving_default");
		refused(() -> request.textSignature("other"), "runs its signature 'serving_default', not 'other'");
	}

	@Test
	void tensorsRunANamedSignatureThatExists() {
		ResolvedRequest request = resolved();
		assertThat(request.signature("serving_default").outputs()).hasSize(1);
		refused(() -> request.signature("missing"), "has no signature 'missing' (has [serving_default])");
		refused(() -> request.exampleSignature("serving_default", ExampleInference.REGRESS_METHOD),
				"is not a tensorflow/serving/regress signature");
	}

	@Test
	void whatOnlyAClassifierDoesIsAskedOfOne() {
		ResolvedRequest request = resolved();
		assertThat(request.classifier("explain", null).labels()).isNotEmpty();
		refused(() -> request.classifier("classify", "other"), "not 'other'");
		refused(() -> request.refuseText("regress"), "text model without a signature to regress");
	}

	@Test
	void theVersionIsReleasedWithTheLastHold() {
		ResolvedRequest request = resolved();
		request.hold();
		request.release();
		assertThat(this.version.inFlight()).as("a run still holds it").isEqualTo(1);
		request.release();
		assertThat(this.version.inFlight()).isZero();
	}

	private static void refused(Executable decision, String detail) {
		assertThatThrownBy(decision::execute).isInstanceOfSatisfying(InvalidInputException.class, (refusal) -> {
			assertThat(refusal.rule()).isEqualTo(Rule.UNKNOWN_SIGNATURE);
			assertThat(refusal.getMessage()).contains(detail);
		});
	}

}
