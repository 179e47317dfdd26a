package io.eino.serving.model.loading;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eino.serving.runtime.BatchRun;
import io.eino.serving.runtime.HostTensor;
import io.eino.serving.runtime.SavedModelRunner;
import io.eino.serving.runtime.TensorRows;
import io.eino.serving.runtime.TensorSpec;

/**
 * The batch run of raw-tensor rows (docs/protocols.md, "Any SavedModel"): joins each
 * input's rows along the first dimension, runs their signature once with every output
 * fetched, and splits each output back into rows. The rows of one batch come from one
 * signature's queue.
 */
final class TensorRowRun implements BatchRun<TensorRowRun.Row, Map<String, HostTensor>> {

	/**
	 * One row of a raw-tensor request: tensors of first dimension 1.
	 *
	 * @param signature the signature it runs
	 * @param inputs its input tensors by name
	 */
	record Row(String signature, Map<String, HostTensor> inputs) {
	}

	private final SavedModelRunner session;

	TensorRowRun(SavedModelRunner session) {
		this.session = session;
	}

	@Override
	public List<Map<String, HostTensor>> run(List<Row> rows, int length) {
		String signature = rows.get(0).signature();
		Map<String, HostTensor> joined = new LinkedHashMap<>();
		for (String input : rows.get(0).inputs().keySet()) {
			joined.put(input, TensorRows.concat(rows.stream().map((row) -> row.inputs().get(input)).toList()));
		}
		List<String> outputs = this.session.signatures()
			.get(signature)
			.outputs()
			.stream()
			.map(TensorSpec::name)
			.toList();
		Map<String, List<HostTensor>> split = new LinkedHashMap<>();
		this.session.run(signature, joined, outputs)
			.forEach((name, tensor) -> split.put(name, TensorRows.split(tensor)));
		List<Map<String, HostTensor>> results = new ArrayList<>(rows.size());
		for (int row = 0; row < rows.size(); row++) {
			Map<String, HostTensor> result = new LinkedHashMap<>();
			for (Map.Entry<String, List<HostTensor>> output : split.entrySet()) {
				result.put(output.getKey(), output.getValue().get(row));
			}
			results.add(result);
		}
		return results;
	}

}
