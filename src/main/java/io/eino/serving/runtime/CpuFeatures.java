package io.eino.serving.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reduced-precision instructions this CPU has, from the flags in
 * {@code /proc/cpuinfo} (Linux; elsewhere none is assumed): what the startup step may
 * try.
 */
public final class CpuFeatures {

	private CpuFeatures() {
	}

	/** Whether this CPU runs bfloat16 natively (AVX512-BF16 or AMX). */
	public static boolean bfloat16() {
		return has(" avx512_bf16", " amx_bf16");
	}

	/** Whether this CPU has int8 dot-product instructions (VNNI or AMX). */
	public static boolean int8() {
		return has(" avx512_vnni", " avx_vnni", " amx_int8");
	}

	private static boolean has(String... flags) {
		try {
			Path cpuinfo = Path.of("/proc/cpuinfo");
			if (!Files.isReadable(cpuinfo)) {
				return false;
			}
			String text = Files.readString(cpuinfo);
			for (String flag : flags) {
				if (text.contains(flag)) {
					return true;
				}
			}
			return false;
		}
		catch (IOException ex) {
			return false;
		}
	}

}
