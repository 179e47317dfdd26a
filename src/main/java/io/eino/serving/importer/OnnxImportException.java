package io.eino.serving.importer;

/**
 * An ONNX model that the importer cannot translate: an unsupported operator, attribute or
 * data layout. The message always names what was unsupported and, where there is one, the
 * node.
 */
public class OnnxImportException extends RuntimeException {

	public OnnxImportException(String message) {
		super(message);
	}

	public OnnxImportException(String message, Throwable cause) {
		super(message, cause);
	}

}
