package io.eino.serving.importer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code import-onnx <model.onnx> <saved-model-directory> [head.json]}: translates a
 * BERT-family ONNX encoder into a SavedModel that eino-serving serves (see
 * {@link OnnxImporter}).
 */
public final class ImportOnnxCommand {

	private ImportOnnxCommand() {
	}

	public static void main(String[] args) throws Exception {
		if (args.length < 2 || args.length > 3) {
			System.err.println("usage: import-onnx <model.onnx> <saved-model-directory> [classifier-head.json]");
			System.exit(2);
		}
		Path output = Path.of(args[1]);
		if (Files.exists(output.resolve("saved_model.pb"))) {
			System.err.println(output + " already holds a SavedModel; choose an empty directory");
			System.exit(2);
		}
		ClassifierHead head = (args.length == 3) ? ClassifierHead.read(Path.of(args[2])) : null;
		try {
			ImportReport report = new OnnxImporter().importModel(Path.of(args[0]), output, head);
			System.out.printf(
					"Imported %d nodes (%s; fused: %s; weight products on packed tokens: %d) into %s, outputs %s, in %d ms%n",
					report.nodeCount(), report.operatorCounts(), report.fusedCounts(), report.packedProducts(),
					report.exportDirectory(), report.outputs(), report.elapsed().toMillis());
		}
		catch (OnnxImportException ex) {
			System.err.println("import-onnx: " + ex.getMessage());
			System.exit(1);
		}
	}

}
