package io.eino.serving.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an inference route whose requests {@link AdmissionDoor} resolves and admits
 * before their body is read, from the route's own {@code model} and {@code version}
 * variables.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface AdmittedAtTheDoor {

}
