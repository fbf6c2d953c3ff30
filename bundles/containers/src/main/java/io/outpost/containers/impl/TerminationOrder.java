package io.outpost.containers.impl;

import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.util.List;

/**
 * The order in which a pod's containers are stopped, as the kubelet orders it when the pod has native sidecars
 * ({@code kuberuntime termination_order.go}): the app containers (and a regular init container still running) first,
 * then the sidecars in the reverse of their order in the spec, each once every container stopped before it has
 * exited — so that an app container can use its sidecars (a proxy, a log shipper) while it shuts down.
 */
final class TerminationOrder {
  private TerminationOrder() {}

  /** Whether {@code container} may be sent its stop signal now, {@code existing} being the pod's containers. */
  static boolean mayStop(PodV1 pod, EngineContainer container, List<EngineContainer> existing) {
    List<ContainerV1> init = pod.initContainersInOrder();
    String name = container.label(Naming.CONTAINER);
    int index = -1;
    for (int i = 0; i < init.size(); i++) {
      if (init.get(i).name().equals(name)) {
        index = i;
      }
    }
    if (index < 0 || !init.get(index).sidecar()) {
      return true;
    }
    for (EngineContainer other : existing) {
      if (!other.running() || other == container || Sandbox.isInfra(other)) {
        continue;
      }
      String otherName = other.label(Naming.CONTAINER);
      int otherIndex = -1;
      for (int i = 0; i < init.size(); i++) {
        if (init.get(i).name().equals(otherName)) {
          otherIndex = i;
        }
      }
      boolean stopsFirst = otherIndex < 0 // an app container (or one the spec does not name)
          || !init.get(otherIndex).sidecar() // a regular init container still running
          || otherIndex > index; // a later sidecar
      if (stopsFirst) {
        return false;
      }
    }
    return true;
  }
}
