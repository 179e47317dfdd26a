package io.eino.serving.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.google.protobuf.InvalidProtocolBufferException;
import org.tensorflow.TensorFlow;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.KernelList;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_GetRegisteredKernelsForOp;

/**
 * The reduced-precision instructions this CPU has, from the flags in
 * {@code /proc/cpuinfo} (Linux; elsewhere none is assumed): what the startup step may
 * try.
 */
public final class CpuFeatures {

	private static final boolean GPU_KERNELS = kernelsOn("GPU");

	/** {@code /proc/cpuinfo}, read once (empty where there is none). */
	private static final String CPUINFO = read(Path.of("/proc/cpuinfo"));

	private CpuFeatures() {
	}

	/** Whether this CPU runs bfloat16 natively (AVX512-BF16 or AMX). */
	public static boolean bfloat16() {
		return has(" avx512_bf16", " amx_bf16");
	}

	/**
	 * Whether this TensorFlow build has GPU kernels (the {@code gpu} build), read from
	 * its kernel registry without touching a device: the passes that only pay on a GPU
	 * are left out of the CPU build's sessions.
	 */
	public static boolean gpuBuild() {
		return GPU_KERNELS;
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

	/** Whether TensorFlow registers a matrix product kernel for {@code deviceType}. */
	static boolean kernelsOn(String deviceType) {
		TF_Status status = TF_Status.newStatus();
		try {
			TF_Buffer kernels = TF_GetRegisteredKernelsForOp("MatMul", status);
			status.throwExceptionIfNotOK();
			try {
				return KernelList.parseFrom(kernels.dataAsByteBuffer())
					.getKernelList()
					.stream()
					.anyMatch((kernel) -> kernel.getDeviceType().equals(deviceType));
			}
			finally {
				kernels.delete();
			}
		}
		catch (RuntimeException | InvalidProtocolBufferException ex) {
			return false;
		}
		finally {
			status.delete();
		}
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
