package io.eino.serving.operator;

import java.nio.file.Path;
import java.util.List;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Operators: {@code eino.operators.*}.
 *
 * @param customOpLibraries TensorFlow custom-op libraries ({@code .so}) loaded before any
 * model
 */
@Validated
@ConfigurationProperties("eino.operators")
public record OperatorProperties(@NotNull @DefaultValue( {
	}) List<Path> customOpLibraries){
}
