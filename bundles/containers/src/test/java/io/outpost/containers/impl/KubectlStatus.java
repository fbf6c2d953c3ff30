package io.outpost.containers.impl;

import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import java.util.List;

/**
 * The STATUS column {@code kubectl get pods} derives from a pod's status (kubectl's printers.go {@code printPod}, 1.32),
 * for tests to assert what a user sees: the first init container that is not done gives {@code Init:<reason>} (or
 * {@code Init:<i>/<n>}); else the first app container with a waiting or terminated reason; else the pod's reason or
 * phase (Ready conditions and deletion are left out: the node does not write them).
 */
final class KubectlStatus {
  private KubectlStatus() {}

  static String of(PodV1 pod, PodStatusReport status) {
    String reason = status.reason() != null && !status.reason().isEmpty() ? status.reason() : status.phase();
    List<PodV1.ContainerV1> init = pod.initContainersInOrder();
    List<ContainerStatusV1> initStatuses = status.initContainers() == null ? List.of() : status.initContainers();
    for (int i = 0; i < initStatuses.size(); i++) {
      ContainerStatusV1 container = initStatuses.get(i);
      ContainerStateV1 state = container.state();
      boolean sidecar = init.stream().anyMatch(c -> c.name().equals(container.name()) && c.sidecar());
      boolean terminated = "terminated".equals(state.kind());
      if (terminated && state.exitCode() != null && state.exitCode() == 0) {
        continue;
      }
      if (sidecar && Boolean.TRUE.equals(container.started())) {
        continue;
      }
      if (terminated) {
        return state.reason() == null || state.reason().isEmpty() ? "Init:ExitCode:" + state.exitCode()
            : "Init:" + state.reason();
      }
      if ("waiting".equals(state.kind()) && state.reason() != null && !state.reason().isEmpty()
          && !"PodInitializing".equals(state.reason())) {
        return "Init:" + state.reason();
      }
      return "Init:" + i + "/" + init.size();
    }
    boolean hasRunning = false;
    List<ContainerStatusV1> containers = status.containers();
    for (int i = containers.size() - 1; i >= 0; i--) {
      ContainerStateV1 state = containers.get(i).state();
      if ("waiting".equals(state.kind()) && state.reason() != null && !state.reason().isEmpty()) {
        reason = state.reason();
      } else if ("terminated".equals(state.kind())) {
        reason = state.reason() != null && !state.reason().isEmpty() ? state.reason()
            : "ExitCode:" + state.exitCode();
      } else if ("running".equals(state.kind()) && containers.get(i).ready()) {
        hasRunning = true;
      }
    }
    if ("Completed".equals(reason) && hasRunning) {
      reason = "Running";
    }
    return reason;
  }
}
