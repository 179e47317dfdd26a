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

	/**
	 * Lowers this process's CPU priority to the lowest ({@code nice 19}): every thread it
	 * has now, and those they start later. The load driver then runs on the cores the
	 * service leaves idle, as a client on another machine would, instead of taking them
	 * from the service it measures. Processes started before (the services) keep theirs.
	 */
	static void yieldToOthers() throws IOException, InterruptedException {
		java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("renice", "-n", "19", "-p"));
		try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
			tasks.forEach((task) -> command.add(task.getFileName().toString()));
		}
		Process renice = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(renice.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		if (renice.waitFor() != 0) {
			throw new IOException("renice failed: " + output);
		}
	}

	/** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ, 100 on Linux). */
	private static final double TICKS_PER_SECOND = 100;

	private final long pid;

	private final long startNanos;

	private final double serviceStart;

	private final double driverStart;

	private final long[] machineStart;

	private Cpu(long pid) throws IOException {
		this.pid = pid;
		this.startNanos = System.nanoTime();
		this.serviceStart = serviceSeconds(pid);
		this.driverStart = driverSeconds();
		this.machineStart = machineTicks();
	}

	static Cpu start(long pid) throws IOException {
		return new Cpu(pid);
	}

	/**
	 * Cores used on average since the start: the service's and the driver's; of the whole
	 * machine, the cores left idle and those spent in interrupts (the loopback network's
	 * softirq work, which no process is charged for).
	 */
	record Used(double serviceCores, double driverCores, double idleCores, double interruptCores) {

		static Used mean(Used a, Used b) {
			return new Used((a.serviceCores() + b.serviceCores()) / 2, (a.driverCores() + b.driverCores()) / 2,
					(a.idleCores() + b.idleCores()) / 2, (a.interruptCores() + b.interruptCores()) / 2);
		}

	}

	Used stop() throws IOException {
		double wall = (System.nanoTime() - this.startNanos) / 1e9;
		long[] machine = machineTicks();
		return new Used((serviceSeconds(this.pid) - this.serviceStart) / wall,
				(driverSeconds() - this.driverStart) / wall,
				(machine[0] - this.machineStart[0]) / TICKS_PER_SECOND / wall,
				(machine[1] - this.machineStart[1]) / TICKS_PER_SECOND / wall);
	}

	/**
	 * The machine's idle (idle + iowait) and interrupt (irq + softirq) ticks, from the
	 * {@code cpu} line of {@code /proc/stat}.
	 */
	private static long[] machineTicks() throws IOException {
		String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
		// cpu user nice system idle iowait irq softirq ...
		return new long[] { Long.parseLong(fields[4]) + Long.parseLong(fields[5]),
				Long.parseLong(fields[6]) + Long.parseLong(fields[7]) };
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
