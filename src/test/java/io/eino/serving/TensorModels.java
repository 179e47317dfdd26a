package io.eino.serving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.eino.serving.repository.ModelRepository;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * Two SavedModels without a text pipeline, built here with TensorFlow Java so that the
 * tests serve models that are not BERT text models:
 *
 * <ul>
 * <li>{@value #PIXELS}: an image-shaped float model. {@code serving_default} takes
 * {@code image} FP32 {@code [-1, 4, 4, 3]} and answers {@code brightness} FP32
 * {@code [-1]} (the mean of each image) and {@code bright} BOOL {@code [-1]} (brightness
 * above 0.5); {@code grayscale} answers {@code gray} FP32 {@code [-1, 4, 4]}.</li>
 * <li>{@value #MIXED}: string and integer inputs and every datatype TensorFlow Java has.
 * {@code serving_default} takes {@code name} BYTES and {@code count} INT64 (both
 * {@code [-1]}) and answers {@code greeting} BYTES ("hello " + name) and
 * {@code count_doubled} INT64; {@code length} takes {@code text} BYTES and answers
 * {@code length} INT32 (bytes); {@code types} takes {@code flag} BOOL, {@code small}
 * INT32, {@code weight} FP64, {@code half} FP16, {@code u8} UINT8 and {@code u16} UINT16
 * and answers {@code flag_not}, {@code small_plus_one}, {@code weight_halved},
 * {@code half_doubled}, {@code u8_same} and {@code u16_same}; {@code classify} and
 * {@code regress} (TF Serving's classify and regress methods) take serialized
 * {@code tf.Example}s with a float feature {@code x} and answer the classes
 * {@code low}/{@code high} with scores {@code x}/{@code 2x}, and {@code 3x + 1}.</li>
 * </ul>
 */
public final class TensorModels {

	public static final String PIXELS = "pixels";

	public static final String MIXED = "mixed";

	/** The version both are stored as. */
	public static final long VERSION = 1;

	private TensorModels() {
	}

	/** Writes both models into {@code repository} as version {@value #VERSION}. */
	public static synchronized void install(Path repository) {
		write(repository.resolve(PIXELS + "/" + VERSION), TensorModels::pixels);
		write(repository.resolve(MIXED + "/" + VERSION), TensorModels::mixed);
	}

	private static List<Signature> pixels(Ops tf) {
		Operand<TFloat32> image = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4, 4, 3)));
		Operand<TFloat32> brightness = tf.math.mean(image, tf.constant(new int[] { 1, 2, 3 }));
		Operand<TBool> bright = tf.math.greater(brightness, tf.constant(0.5f));
		Operand<TFloat32> gray = tf.math.mean(image, tf.constant(3));
		return List.of(Signature.builder()
			.key("serving_default")
			.input("image", image)
			.output("brightness", brightness)
			.output("bright", bright)
			.build(), Signature.builder().key("grayscale").input("image", image).output("gray", gray).build());
	}

	private static List<Signature> mixed(Ops tf) {
		Operand<TString> name = vector(tf, TString.class);
		Operand<TInt64> count = vector(tf, TInt64.class);
		Operand<TString> greeting = tf.strings.join(List.of(tf.constant("hello "), name));
		Operand<TInt64> doubled = tf.math.mul(count, tf.constant(2L));
		Operand<TString> text = vector(tf, TString.class);
		Operand<TInt32> length = tf.strings.stringLength(text);
		Operand<TBool> flag = vector(tf, TBool.class);
		Operand<TInt32> small = vector(tf, TInt32.class);
		Operand<TFloat64> weight = vector(tf, TFloat64.class);
		Operand<TFloat16> half = vector(tf, TFloat16.class);
		Operand<TUint8> u8 = vector(tf, TUint8.class);
		Operand<TUint16> u16 = vector(tf, TUint16.class);
		Operand<TString> examples = vector(tf, TString.class);
		Operand<TFloat32> x = featureX(tf, examples);
		return List.of(
				Signature.builder()
					.key("serving_default")
					.input("name", name)
					.input("count", count)
					.output("greeting", greeting)
					.output("count_doubled", doubled)
					.build(),
				Signature.builder().key("length").input("text", text).output("length", length).build(),
				Signature.builder()
					.key("types")
					.input("flag", flag)
					.input("small", small)
					.input("weight", weight)
					.input("half", half)
					.input("u8", u8)
					.input("u16", u16)
					.output("flag_not", tf.math.logicalNot(flag))
					.output("small_plus_one", tf.math.add(small, tf.constant(1)))
					.output("weight_halved", tf.math.mul(weight, tf.constant(0.5)))
					.output("half_doubled", tf.math.add(half, half))
					.output("u8_same", tf.identity(u8))
					.output("u16_same", tf.identity(u16))
					.build(),
				classify(tf, examples, x), regress(tf, examples, x));
	}

	/** Scores {@code [x, 2x]} for the classes {@code low} and {@code high}. */
	private static Signature classify(Ops tf, Operand<TString> examples, Operand<TFloat32> x) {
		Operand<TFloat32> scores = tf.concat(List.of(x, tf.math.mul(x, tf.constant(2f))), tf.constant(1));
		Operand<TString> classes = tf.broadcastTo(
				tf.constant(StandardCharsets.UTF_8, Shape.of(1, 2), DataBuffers.ofObjects("low", "high")),
				tf.shape(scores));
		return Signature.builder()
			.key("classify")
			.methodName("tensorflow/serving/classify")
			.input("inputs", examples)
			.output("classes", classes)
			.output("scores", scores)
			.build();
	}

	/** {@code 3x + 1}. */
	private static Signature regress(Ops tf, Operand<TString> examples, Operand<TFloat32> x) {
		return Signature.builder()
			.key("regress")
			.methodName("tensorflow/serving/regress")
			.input("inputs", examples)
			.output("outputs", tf.math.add(tf.math.mul(x, tf.constant(3f)), tf.constant(1f)))
			.build();
	}

	/** The float feature {@code x} of serialized tf.Examples, {@code [n, 1]}. */
	private static Operand<TFloat32> featureX(Ops tf, Operand<TString> examples) {
		Operand<TString> none = tf.constant(StandardCharsets.UTF_8, Shape.of(0),
				DataBuffers.ofObjects(String.class, 0));
		ParseExample parsed = tf.io.parseExample(examples, none, none,
				tf.constant(StandardCharsets.UTF_8, new String[] { "x" }), none,
				List.of(tf.constant(new float[] { 0f })), 0L, List.of(), List.of(), List.of(), List.of(Shape.of(1)));
		return parsed.denseValues().get(0).expect(TFloat32.class);
	}

	private static <T extends TType> Operand<T> vector(Ops tf, Class<T> type) {
		return tf.placeholder(type, Placeholder.shape(Shape.of(-1)));
	}

	private interface Builder {

		List<Signature> signatures(Ops tf);

	}

	/**
	 * Exports the graph's signatures, staged beside the target and renamed into place.
	 */
	private static void write(Path target, Builder builder) {
		if (Files.exists(target)) {
			return;
		}
		Path staging = target.resolveSibling(".staging-" + target.getFileName());
		TestModels.deleteRecursively(staging);
		try (Graph graph = new Graph(); Session session = new Session(graph)) {
			Files.createDirectories(staging);
			SavedModelBundle.Exporter exporter = SavedModelBundle.exporter(staging.toString());
			for (Signature signature : builder.signatures(Ops.create(graph))) {
				exporter.withFunction(session.function(signature));
			}
			exporter.export();
			Files.createFile(staging.resolve(ModelRepository.READY_MARKER));
			Files.move(staging, target);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
