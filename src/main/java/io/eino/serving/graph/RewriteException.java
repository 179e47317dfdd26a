package io.eino.serving.graph;

/**
 * A rewrite that was asked for and cannot be done on this graph (int8 on a graph that
 * cannot be frozen, or has no product to quantise).
 */
public class RewriteException extends RuntimeException {

	public RewriteException(String message) {
		super(message);
	}

}
