package io.outpost.containers.impl;

import io.outpost.protocol.PodV1;

/**
 * Refuses to start a pod whose spec asks for something the node does not provide: the bridge names such fields
 * ({@code PodV1.unsupported}), and the pod's containers then wait in {@code CreateContainerConfigError} naming them,
 * with a Warning Event — never run with part of the spec silently dropped.
 */
final class SpecSupport {
  private SpecSupport() {}

  static void require(PodV1 pod) throws EnvResolver.ConfigError {
    if (!pod.unsupportedFields().isEmpty()) {
      throw new EnvResolver.ConfigError("pod spec not supported on this node: "
          + String.join("; ", pod.unsupportedFields()));
    }
  }
}
