package io.eino.serving.runtime;

/**
 * How many runners a model version gets and how each session is threaded, from
 * {@link RuntimeProperties} and the cores of this machine (a setting of 0 means "derive
 * it").
 *
 * @param instances runners per model version
 * @param intraOpThreads threads per TensorFlow operation
 * @param interOpThreads operations side by side per session
 * @param properties the settings it was derived from
 */
public record RuntimeLayout(int instances, int intraOpThreads, int interOpThreads, RuntimeProperties properties) {

	/** The layout for {@code cores} available processors. */
	public static RuntimeLayout of(RuntimeProperties properties, int cores) {
		int instances = (properties.instances() > 0) ? properties.instances() : Math.max(1, cores / 2);
		int intra = (properties.intraOpThreads() > 0) ? properties.intraOpThreads() : Math.max(1, cores / instances);
		// Two ops side by side: a packed-token graph has independent branches (query,
		// key and value on their ways into heads); docs/engine.md, "Thread layout".
		int inter = (properties.interOpThreads() > 0) ? properties.interOpThreads() : 2;
		return new RuntimeLayout(instances, intra, inter, properties);
	}

	/** The layout for the processors this JVM may use. */
	public static RuntimeLayout of(RuntimeProperties properties) {
		return of(properties, Runtime.getRuntime().availableProcessors());
	}

	/** The options every session of a version is opened with. */
	public SessionSettings sessionSettings() {
		RuntimeProperties.Gpu gpu = this.properties.gpu();
		return new SessionSettings(this.intraOpThreads, this.interOpThreads, this.properties.graphOptimization(), false,
				new SessionSettings.Gpu(gpu.allowGrowth(), gpu.memoryFraction(), gpu.visibleDevices()), false);
	}

}
