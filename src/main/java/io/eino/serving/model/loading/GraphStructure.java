package io.eino.serving.model.loading;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Map;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.TensorProto;

/**
 * What a SavedModel's graph is whatever its weights, for the structure key of a plan
 * ({@link PlanKey#structureOf}): the SavedModel with every tensor held in a node's
 * attributes (the constants, frozen weights among them) reduced to its type and shape,
 * serialised deterministically (map entries in key order). A file that is not a
 * SavedModel counts whole. Hand-written: TensorFlow has no notion of a graph's structure
 * apart from its values.
 */
final class GraphStructure {

	static final String SAVED_MODEL = "saved_model.pb";

	private GraphStructure() {
	}

	/** Adds the structure of the SavedModel in {@code file} to {@code digest}. */
	static void hash(MessageDigest digest, Path file) throws IOException {
		byte[] bytes = Files.readAllBytes(file);
		SavedModel model;
		try {
			model = SavedModel.parseFrom(bytes);
		}
		catch (InvalidProtocolBufferException ex) {
			digest.update(bytes);
			return;
		}
		SavedModel.Builder structure = model.toBuilder();
		for (MetaGraphDef.Builder metaGraph : structure.getMetaGraphsBuilderList()) {
			GraphDef.Builder graph = metaGraph.getGraphDefBuilder();
			graph.getNodeBuilderList().forEach(GraphStructure::strip);
			for (FunctionDef.Builder function : graph.getLibraryBuilder().getFunctionBuilderList()) {
				function.getNodeDefBuilderList().forEach(GraphStructure::strip);
			}
		}
		try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
			CodedOutputStream coded = CodedOutputStream.newInstance(out);
			coded.useDeterministicSerialization();
			structure.build().writeTo(coded);
			coded.flush();
		}
	}

	/** Leaves of each tensor attribute its type and shape. */
	private static void strip(NodeDef.Builder node) {
		for (Map.Entry<String, AttrValue> attribute : Map.copyOf(node.getAttrMap()).entrySet()) {
			if (attribute.getValue().hasTensor()) {
				TensorProto tensor = attribute.getValue().getTensor();
				node.putAttr(attribute.getKey(),
						AttrValue.newBuilder()
							.setTensor(TensorProto.newBuilder()
								.setDtype(tensor.getDtype())
								.setTensorShape(tensor.getTensorShape()))
							.build());
			}
		}
	}

}
