package io.outpost.containers.impl;

import java.util.List;

/**
 * The tail of one container's log, for {@code outpost:logs} on the node's console: the pod's containers are found
 * by their labels on the engine (its infra container left out), and a missing or ambiguous container name is
 * answered as kubectl answers it (with the names to choose from).
 */
final class PodLogs {
  private PodLogs() {}

  static String read(ContainerEngine engine, String nodeName, String namespace, String pod, String container,
      int tailLines, int maxBytes) {
    String name = namespace + "/" + pod;
    List<EngineContainer> own;
    try {
      own = engine.list(nodeName).stream().filter(c -> !Sandbox.isInfra(c)
          && namespace.equals(c.label(Naming.POD_NAMESPACE)) && pod.equals(c.label(Naming.POD_NAME))).toList();
    } catch (EngineException e) {
      throw new IllegalStateException("cannot ask the container engine: " + e.getMessage(), e);
    }
    if (own.isEmpty()) {
      throw new IllegalArgumentException("pod " + name + " has no containers on node " + nodeName);
    }
    List<String> names = own.stream().map(c -> c.label(Naming.CONTAINER)).distinct().sorted().toList();
    if (container == null && names.size() != 1) {
      throw new IllegalArgumentException("a container name must be specified for pod " + name + ", choose one of: "
          + names);
    }
    String wanted = container == null ? names.get(0) : container;
    EngineContainer target = own.stream().filter(c -> wanted.equals(c.label(Naming.CONTAINER))).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("container " + wanted + " is not valid for pod " + name
            + ", choose one of: " + names));
    try {
      return engine.logs(target.id(), tailLines, maxBytes);
    } catch (EngineException e) {
      throw new IllegalStateException("cannot read the log of " + name + " " + wanted + ": " + e.getMessage(), e);
    }
  }
}
