package io.eino.serving.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time a service process (from {@code /proc/<pid>/stat}) and this load driver (the
 * JVM's own process CPU time) spent over a stretch of wall time: on a machine where both
 * share the cores, how much of them each took.
 */
final class Cpu {

	/** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ, 100 on Linux). */
	private static final double TICKS_PER_SECOND = 100;

	private final long pid;

	private final long startNanos;

	private final double serviceStart;

	private final double driverStart;

	private Cpu(long pid) throws IOException {
		this.pid = pid;
		this.startNanos = System.nanoTime();
		this.serviceStart = serviceSeconds(pid);
		this.driverStart = driverSeconds();
	}

	static Cpu start(long pid) throws IOException {
		return new Cpu(pid);
	}

	/** Cores used on average since the start: the service's and the driver's. */
	record Used(double serviceCores, double driverCores) {
	}

	Used stop() throws IOException {
		double wall = (System.nanoTime() - this.startNanos) / 1e9;
		return new Used((serviceSeconds(this.pid) - this.serviceStart) / wall,
				(driverSeconds() - this.driverStart) / wall);
	}

	private static double serviceSeconds(long pid) throws IOException {
		String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
		// Fields after the command name (which may hold spaces) start after the last ')'.
		String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		// utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
		return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
	}

	private static double driverSeconds() {
		return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
			.getProcessCpuTime() / 1e9;
	}

}
