package io.eino.serving.plugin;

import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The plugins that ship with the service: {@code eino.plugins.*}.
 *
 * @param audit one JSON line per request
 * @param piiMasking masks personal data before inference
 */
@Validated
@ConfigurationProperties("eino.plugins")
public record PluginProperties(@Valid @DefaultValue Audit audit, @Valid @DefaultValue PiiMasking piiMasking) {

	/**
	 * The audit log: one JSON line per request on the {@code eino.audit} logger.
	 *
	 * @param enabled whether it is written
	 * @param includeText whether the (validated, masked) texts are written too
	 */
	public record Audit(@DefaultValue("false") boolean enabled, @DefaultValue("false") boolean includeText) {
	}

	/**
	 * Masking of personal data in texts before inference.
	 *
	 * @param enabled whether texts are masked
	 * @param kinds what is masked
	 */
	public record PiiMasking(@DefaultValue("false") boolean enabled, @NotNull @DefaultValue( {
			"email", "phone", "card" }) List<String> kinds){
	}

}
