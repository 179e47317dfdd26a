package io.eino.serving.graph;

import com.google.protobuf.ByteString;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * The nodes {@link Int8Rewrite} puts into a graph: an input quantised at every run, and
 * the fused int8 product that reads it.
 */
final class Int8Input {

	private Int8Input() {
	}

	/**
	 * The scope of the nodes that quantise {@code tensor} ({@code node} or
	 * {@code node:k}): {@code node/int8_input} or {@code node/int8_input_k}.
	 */
	static String name(String tensor) {
		int colon = tensor.indexOf(':');
		String output = (colon < 0) ? "0" : tensor.substring(colon + 1);
		String node = (colon < 0) ? tensor : tensor.substring(0, colon);
		return node + "/int8_input" + (output.equals("0") ? "" : "_" + output);
	}

	/**
	 * Quantises {@code tensor} over the range of each batch, as node {@code scope}:
	 * lifted and smoothed first where asked, then to unsigned 8 bits when lifted (its
	 * range starts at 0) and to signed 8 bits, symmetric, otherwise.
	 */
	static void emit(String tensor, String scope, float[] smoothing, float lift, String device,
			GraphDef.Builder graph) {
		String x = tensor;
		if (lift > 0) {
			graph.addNode(Int8Rewrite.constant(scope + "/lift", DataType.DT_FLOAT, new long[0],
					Int8Rewrite.floats(lift), device));
			graph.addNode(Int8Rewrite.binary(scope + "/lifted", "AddV2", x, scope + "/lift", device));
			x = scope + "/lifted";
		}
		if (smoothing != null) {
			float[] inverse = new float[smoothing.length];
			for (int k = 0; k < inverse.length; k++) {
				inverse[k] = 1 / smoothing[k];
			}
			graph.addNode(Int8Rewrite.constant(scope + "/smoothing", DataType.DT_FLOAT, new long[] { inverse.length },
					Int8Rewrite.floats(inverse), device));
			graph.addNode(Int8Rewrite.binary(scope + "/smoothed", "Mul", x, scope + "/smoothing", device));
			x = scope + "/smoothed";
		}
		graph.addNode(Int8Rewrite.constant(scope + "/axes", DataType.DT_INT32, new long[] { 2 }, Int8Rewrite.ints(0, 1),
				device));
		if (lift > 0) {
			graph.addNode(Int8Rewrite.constant(scope + "/min", DataType.DT_FLOAT, new long[0], Int8Rewrite.floats(0),
					device));
		}
		else {
			graph.addNode(Int8Rewrite.reduce(scope + "/min", "Min", x, scope + "/axes", device));
		}
		graph.addNode(Int8Rewrite.reduce(scope + "/max", "Max", x, scope + "/axes", device));
		graph.addNode(NodeDef.newBuilder()
			.setName(scope)
			.setOp("QuantizeV2")
			.setDevice(device)
			.addInput(x)
			.addInput(scope + "/min")
			.addInput(scope + "/max")
			.putAttr("T", Int8Rewrite.typeAttr(type(lift > 0)))
			.putAttr("mode", Int8Rewrite.text("SCALED"))
			// Signed: [-127, 127], the range the product's scale assumes.
			.putAttr("narrow_range", flag(lift == 0))
			.putAttr("round_mode", Int8Rewrite.text("HALF_TO_EVEN")));
	}

	/**
	 * oneDNN's int8 product of the quantised input {@code input} with {@code weights},
	 * the bias added and the result scaled back to fp32, as node {@code name}.
	 */
	static void product(String name, String input, boolean unsigned, Int8Weights weights, long[] shape, String device,
			GraphDef.Builder graph) {
		String scope = name + "/int8";
		float[] low = new float[weights.scales().length];
		for (int i = 0; i < low.length; i++) {
			low[i] = -weights.scales()[i];
		}
		graph.addNode(Int8Rewrite.constant(scope + "/weights", DataType.DT_QINT8, shape, weights.quantised(), device));
		graph.addNode(Int8Rewrite.constant(scope + "/weights_min", DataType.DT_FLOAT, new long[] { low.length },
				Int8Rewrite.floats(low), device));
		graph.addNode(Int8Rewrite.constant(scope + "/weights_max", DataType.DT_FLOAT, new long[] { low.length },
				Int8Rewrite.floats(weights.scales()), device));
		graph.addNode(Int8Rewrite.constant(scope + "/bias", DataType.DT_FLOAT, new long[] { low.length },
				Int8Rewrite.floats(weights.bias()), device));
		graph.addNode(NodeDef.newBuilder()
			.setName(name)
			.setOp("_QuantizedMatMul")
			.setDevice(device)
			// device inputs: the input, the weights, the bias
			.addInput(input)
			.addInput(scope + "/weights")
			.addInput(scope + "/bias")
			// host inputs: the input's range, the weights' ranges per output channel
			.addInput(input + ":1")
			.addInput(input + ":2")
			.addInput(scope + "/weights_min")
			.addInput(scope + "/weights_max")
			.putAttr("Tdevice_inputs", types(type(unsigned), DataType.DT_QINT8, DataType.DT_FLOAT))
			.putAttr("Thost_inputs", types(DataType.DT_FLOAT, DataType.DT_FLOAT, DataType.DT_FLOAT, DataType.DT_FLOAT))
			.putAttr("Tdevice_outputs", types(DataType.DT_FLOAT))
			.putAttr("Thost_outputs", types())
			.putAttr("T1", Int8Rewrite.typeAttr(type(unsigned)))
			.putAttr("T2", Int8Rewrite.typeAttr(DataType.DT_QINT8))
			.putAttr("Tbias", Int8Rewrite.typeAttr(DataType.DT_FLOAT))
			.putAttr("Tout", Int8Rewrite.typeAttr(DataType.DT_FLOAT))
			.putAttr("U", Int8Rewrite.typeAttr(DataType.DT_FLOAT))
			.putAttr("fused_ops",
					AttrValue.newBuilder()
						.setList(AttrValue.ListValue.newBuilder()
							.addS(ByteString.copyFromUtf8("BiasAdd"))
							.addS(ByteString.copyFromUtf8("Dequantize")))
						.build())
			.putAttr("input_quant_mode", Int8Rewrite.text("SCALED"))
			.putAttr("output_quant_mode", Int8Rewrite.text("SCALED"))
			.putAttr("is_weight_const", flag(true))
			.putAttr("is_bias_const", flag(true))
			.putAttr("transpose_a", flag(false))
			.putAttr("transpose_b", flag(false)));
	}

	private static DataType type(boolean unsigned) {
		return unsigned ? DataType.DT_QUINT8 : DataType.DT_QINT8;
	}

	private static AttrValue types(DataType... types) {
		AttrValue.ListValue.Builder list = AttrValue.ListValue.newBuilder();
		for (DataType type : types) {
			list.addType(type);
		}
		return AttrValue.newBuilder().setList(list).build();
	}

	private static AttrValue flag(boolean value) {
		return AttrValue.newBuilder().setB(value).build();
	}

}
