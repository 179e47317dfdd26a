package io.eino.serving.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.tensorflow.types.TInt64;

/**
 * A text model's batch run: the rows' tokens padded into the three token tensors, one
 * session run of the signature, and each row's slice of the float output, pooled into one
 * vector where the model's {@link Pooling} says so. Its input buffers grow to the largest
 * batch and its tensors are pooled by shape, so that a steady load allocates nothing.
 */
public final class TokenBatchRun implements BatchRun<TokenSequence, float[]> {

	private final SavedModelRunner session;

	private final String signature;

	private final String output;

	private final Pooling pooling;

	private final TensorPool pool = new TensorPool();

	private long[] ids = new long[0];

	private long[] mask = new long[0];

	private long[] typeIds = new long[0];

	/**
	 * @param signature the signature batches run
	 * @param output the float output each row's result is read from
	 * @param pooling how a row's slice becomes its result
	 */
	public TokenBatchRun(SavedModelRunner session, String signature, String output, Pooling pooling) {
		this.session = session;
		this.signature = signature;
		this.output = output;
		this.pooling = pooling;
	}

	@Override
	public List<float[]> run(List<TokenSequence> rows, int length) {
		int size = rows.size() * length;
		if (this.ids.length < size) {
			this.ids = new long[size];
			this.mask = new long[size];
			this.typeIds = new long[size];
		}
		TensorBatcher.pad(rows, length, this.ids, this.mask, this.typeIds);
		TInt64 idsTensor = this.pool.take(rows.size(), length);
		TInt64 maskTensor = this.pool.take(rows.size(), length);
		TInt64 typeTensor = this.pool.take(rows.size(), length);
		try {
			idsTensor.asRawTensor().data().asLongs().write(this.ids, 0, size);
			maskTensor.asRawTensor().data().asLongs().write(this.mask, 0, size);
			typeTensor.asRawTensor().data().asLongs().write(this.typeIds, 0, size);
			Map<String, TInt64> inputs = Map.of(SavedModelRunner.TOKEN_INPUTS.get(0), idsTensor,
					SavedModelRunner.TOKEN_INPUTS.get(1), maskTensor, SavedModelRunner.TOKEN_INPUTS.get(2), typeTensor);
			HostTensor result = this.session.runTensors(this.signature, inputs, List.of(this.output)).get(this.output);
			if (!(result instanceof HostTensor.Float32 floats)) {
				throw new ModelRuntimeException("Output '" + this.output + "' is not float32");
			}
			float[] values = floats.values();
			int width = values.length / rows.size();
			List<float[]> results = new ArrayList<>(rows.size());
			for (int i = 0; i < rows.size(); i++) {
				results.add(this.pooling.apply(TensorBatcher.row(values, width, i), length, this.mask, i * length));
			}
			return results;
		}
		finally {
			this.pool.give(idsTensor);
			this.pool.give(maskTensor);
			this.pool.give(typeTensor);
		}
	}

	@Override
	public long tokens(TokenSequence row) {
		return row.length();
	}

	@Override
	public void close() {
		this.pool.close();
	}

}
