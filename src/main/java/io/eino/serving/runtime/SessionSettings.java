package io.eino.serving.runtime;

import org.tensorflow.proto.ConfigProto;

/**
 * TensorFlow session configuration for one loaded model version.
 *
 * @param intraOpThreads threads one operation may use (0: TensorFlow's choice, the core
 * count)
 * @param interOpThreads operations run in parallel (0: TensorFlow's choice)
 */
public record SessionSettings(int intraOpThreads, int interOpThreads) {

	public static final SessionSettings DEFAULT = new SessionSettings(0, 0);

	ConfigProto toConfigProto() {
		return ConfigProto.newBuilder()
			.setIntraOpParallelismThreads(this.intraOpThreads)
			.setInterOpParallelismThreads(this.interOpThreads)
			.setAllowSoftPlacement(true)
			.build();
	}

}
