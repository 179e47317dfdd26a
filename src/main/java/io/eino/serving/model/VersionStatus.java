package io.eino.serving.model;

/**
 * The status of one version, as the status endpoints report it.
 *
 * @param version the version number
 * @param state its state
 * @param error why it failed, empty when it did not
 */
public record VersionStatus(long version, ModelState state, String error) {
}
