package io.eino.serving.inference;

import java.util.Map;

import io.eino.serving.runtime.HostTensor;

/**
 * The outputs of one raw signature call.
 *
 * @param model the model name
 * @param version the version that computed them
 * @param outputs by output name, in signature order
 */
public record TensorResult(String model, long version, Map<String, HostTensor> outputs) {
}
