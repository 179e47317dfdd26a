package io.eino.serving.runtime;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.SignatureDef;

/**
 * The frozen serving graphs of one version ({@code FrozenGraph}, {@code EncoderRewrite}),
 * made once and shared by the sessions the startup step opens for its candidates: they
 * differ in session options only, so each would otherwise load the SavedModel and freeze
 * and rewrite it again (about 4 s a session for the default model). The int8 candidate
 * rewrites the graph itself and has its own. Holds the graphs until dropped. Thread safe:
 * the startup step opens candidates side by side, the first of each graph before the
 * others that share it.
 */
public final class FrozenGraphs {

	/**
	 * @param graph the frozen, rewritten graph
	 * @param signatures the SavedModel's signatures
	 * @param rewrites what freezing and the rewrites did
	 */
	record Frozen(GraphDef graph, Map<String, SignatureDef> signatures, String rewrites) {
	}

	private final Map<List<Object>, Frozen> byInt8 = new ConcurrentHashMap<>();

	Frozen get(SessionSettings settings) {
		return this.byInt8.get(key(settings));
	}

	void put(SessionSettings settings, Frozen frozen) {
		this.byInt8.put(key(settings), frozen);
	}

	/**
	 * What sessions share one frozen graph by: int8 graphs differ by the ranges they were
	 * smoothed with.
	 */
	public static List<Object> key(SessionSettings settings) {
		return List.of(settings.int8(), settings.ranges());
	}

}
