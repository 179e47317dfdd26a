package io.eino.serving.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.tensorflow.TensorFlow;

/**
 * The reduced-precision instructions this CPU has, from the flags in
 * {@code /proc/cpuinfo} (Linux; elsewhere none is assumed): what the startup step may
 * try.
 */
public final class CpuFeatures {

	/** oneDNN's fused LayerNorm op. */
	public static final String ONE_DNN_LAYER_NORM = "_MklLayerNorm";

	private static final boolean ONE_DNN = TensorFlow.registeredOpList()
		.getOpList()
		.stream()
		.anyMatch((op) -> op.getName().equals(ONE_DNN_LAYER_NORM));

	/** {@code /proc/cpuinfo}, read once (empty where there is none). */
	private static final String CPUINFO = read(Path.of("/proc/cpuinfo"));

	private CpuFeatures() {
	}

	/** Whether this CPU runs bfloat16 natively (AVX512-BF16 or AMX). */
	public static boolean bfloat16() {
		return has(" avx512_bf16", " amx_bf16");
	}

	/**
	 * Whether this TensorFlow build registers oneDNN's fused LayerNorm,
	 * {@value #ONE_DNN_LAYER_NORM} (the x86 builds): the importer and the startup step's
	 * encoder rewrites emit it only then.
	 */
	public static boolean oneDnnLayerNorm() {
		return ONE_DNN;
	}

	/**
	 * The processor's model name and feature flags (of its first core), which decide what
	 * runs fastest on it: a stored startup plan is reused only on the same.
	 */
	public static String fingerprint() {
		StringBuilder fingerprint = new StringBuilder();
		for (String line : CPUINFO.split("\n")) {
			if (line.startsWith("model name") || line.startsWith("flags")) {
				fingerprint.append(line.substring(line.indexOf(':') + 1).trim()).append(';');
			}
			if (line.isBlank() && !fingerprint.isEmpty()) {
				break;
			}
		}
		return fingerprint.isEmpty() ? System.getProperty("os.arch") : fingerprint.toString();
	}

	/** Whether this CPU has int8 dot-product instructions (VNNI or AMX). */
	public static boolean int8() {
		return has(" avx512_vnni", " avx_vnni", " amx_int8");
	}

	private static boolean has(String... flags) {
		for (String flag : flags) {
			if (CPUINFO.contains(flag)) {
				return true;
			}
		}
		return false;
	}

	private static String read(Path cpuinfo) {
		try {
			return Files.isReadable(cpuinfo) ? Files.readString(cpuinfo) : "";
		}
		catch (IOException ex) {
			return "";
		}
	}

}
