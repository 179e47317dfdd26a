package io.eino.serving.plugin;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The texts of one request as plugins see them: validated and NFC-normalised; a plugin
 * may replace a text (masking, for one). Not thread safe: plugins run one after another.
 */
public final class PluginInput {

	private final List<String> texts;

	public PluginInput(List<String> texts) {
		this.texts = new ArrayList<>(texts);
	}

	/** The texts, in request order (read-only; use {@link #replace}). */
	public List<String> texts() {
		return Collections.unmodifiableList(this.texts);
	}

	public void replace(int index, String text) {
		this.texts.set(index, text);
	}

}
