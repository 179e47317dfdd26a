package io.eino.serving.importer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * A weight that becomes a graph variable, filled once through a placeholder before the
 * SavedModel is written, so the weights land in the SavedModel's checkpoint rather than
 * as constants inside the graph definition.
 *
 * @param assign the assign operation
 * @param feed the placeholder it reads
 * @param value the weight
 */
record WeightAssignment(Assign<?> assign, Placeholder<?> feed, OnnxTensor value) {

	@SuppressWarnings({ "unchecked", "rawtypes" })
	static Operand<?> variable(Ops tf, String name, OnnxTensor value, List<WeightAssignment> assignments) {
		Class<? extends TType> type = OnnxTypes.tensorFlowType(value.dataType(), value.name());
		Variable variable = tf.withName(name).variable(value.shape(), (Class) type);
		Placeholder feed = tf.withSubScope("import_weights")
			.placeholder((Class) type, Placeholder.shape(value.shape()));
		Assign assign = tf.withSubScope("import_weights").assign(variable, feed);
		assignments.add(new WeightAssignment(assign, feed, value));
		return variable;
	}

	static Operand<TFloat32> variable(Ops tf, String name, Shape shape, float[] values,
			List<WeightAssignment> assignments) {
		ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
		bytes.asFloatBuffer().put(values);
		OnnxTensor value = new OnnxTensor(name, ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT, shape.asArray(),
				bytes.array());
		return OperatorTranslators.typed(variable(tf, name, value, assignments));
	}

	/** Runs every assignment in {@code session}, one weight at a time. */
	static void runAll(Session session, List<WeightAssignment> assignments) {
		for (WeightAssignment assignment : assignments) {
			try (Tensor tensor = assignment.value.toTensor();
					Result result = session.runner().feed(assignment.feed, tensor).addTarget(assignment.assign).run()) {
				// Nothing is fetched: the assignment is the effect.
			}
		}
	}

}
