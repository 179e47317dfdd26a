package io.eino.serving.inference;

import io.eino.serving.error.Rule;
import io.eino.serving.model.ServingVersion;
import io.eino.serving.runtime.SignatureSpec;
import io.eino.serving.validation.InvalidInputException;

/**
 * The input that carries a text model's texts in tensor protocols (the Open Inference
 * Protocol, TF Serving's gRPC): its metadata lists it as {@code text}, {@code BYTES}.
 */
public final class TextInput {

	/** Its name. */
	public static final String NAME = "text";

	private TextInput() {
	}

	/**
	 * Refuses {@code text} sent as another datatype to a model that takes text, for its
	 * datatype: the name is the one the metadata lists, so naming it unknown would
	 * mislead. Nothing for any other input, or a signature that has an input of that
	 * name.
	 */
	public static void refuseAsTensor(ServingVersion serving, SignatureSpec signature, String name, String datatype) {
		if (NAME.equals(name) && serving.takesText() && !signature.hasInput(NAME)) {
			throw new InvalidInputException(Rule.INPUT_DATATYPE,
					"Input '" + NAME + "' holds the texts and must be BYTES, got " + datatype);
		}
	}

}
