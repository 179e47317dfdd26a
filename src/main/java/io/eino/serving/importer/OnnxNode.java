package io.eino.serving.importer;

import java.util.List;
import java.util.Optional;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * Read access to one ONNX node's attributes, with errors that name the node.
 */
record OnnxNode(NodeProto proto, int opsetVersion) {

	String opType() {
		return this.proto.getOpType();
	}

	String describe() {
		String name = this.proto.getName().isEmpty() ? "(unnamed)" : this.proto.getName();
		return this.proto.getOpType() + " node '" + name + "'";
	}

	List<String> inputs() {
		return this.proto.getInputList();
	}

	/**
	 * Whether the optional input at {@code index} is present (ONNX marks absent ones with
	 * "").
	 */
	boolean hasInput(int index) {
		return index < this.proto.getInputCount() && !this.proto.getInput(index).isEmpty();
	}

	String output() {
		if (this.proto.getOutputCount() != 1) {
			throw new OnnxImportException(describe() + " has " + this.proto.getOutputCount()
					+ " outputs; the importer translates single-output nodes only");
		}
		return this.proto.getOutput(0);
	}

	Optional<AttributeProto> attribute(String name) {
		return this.proto.getAttributeList().stream().filter((a) -> a.getName().equals(name)).findFirst();
	}

	long intAttribute(String name, long defaultValue) {
		return attribute(name).map(AttributeProto::getI).orElse(defaultValue);
	}

	Optional<long[]> intsAttribute(String name) {
		return attribute(name).map((a) -> a.getIntsList().stream().mapToLong(Long::longValue).toArray());
	}

	OnnxImportException unsupported(String what) {
		return new OnnxImportException(describe() + ": " + what);
	}

}
