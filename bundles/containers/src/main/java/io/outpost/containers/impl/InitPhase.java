package io.outpost.containers.impl;

import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.List;

/**
 * What a pod's init containers say about its phase, as the kubelet's {@code getPhase} (kubelet_pods.go, 1.32) counts
 * them: a regular init container that has not completed keeps the pod Pending; one that failed and is not restarted
 * (restart policy Never) fails the pod. A native sidecar keeps the pod Pending while it has not
 * started (running without its startup probe passed, or waiting without having run) — unless an app container has
 * started already (the pod was initialized, the sidecar is only restarting); a terminated sidecar counts for nothing.
 * Pure functions.
 */
final class InitPhase {
  private InitPhase() {}

  /** Whether a regular init container completed: terminated with exit code 0 (it is then {@code ready}). */
  static boolean completed(ContainerStateV1 state) {
    return state != null && "terminated".equals(state.kind()) && state.exitCode() != null && state.exitCode() == 0;
  }

  /**
   * Failed if a regular init container failed for good, Pending while initialization is not over, else null (the app
   * containers decide). {@code views} and {@code statuses} are the init containers', in the same order;
   * {@code appStarted}: whether an app container has run or runs ({@code HasAnyRegularContainerStarted}).
   */
  static String phase(List<ContainerView> views, List<ContainerStatusV1> statuses, boolean appStarted) {
    int pendingRegular = 0;
    int pendingSidecars = 0;
    for (int i = 0; i < statuses.size(); i++) {
      ContainerStatusV1 status = statuses.get(i);
      ContainerStateV1 state = status.state();
      String kind = state == null ? "" : state.kind();
      boolean ranBefore = status.lastState() != null && "terminated".equals(status.lastState().kind());
      if (views.get(i).role() == ContainerView.Role.SIDECAR) {
        if ("running".equals(kind) && !Boolean.TRUE.equals(status.started())
            || !"running".equals(kind) && !"terminated".equals(kind) && !ranBefore) {
          pendingSidecars++;
        }
        continue;
      }
      if ("terminated".equals(kind) && !completed(state) && !views.get(i).willRestart()) {
        return "Failed";
      }
      if (!completed(state)) {
        pendingRegular++; // running, waiting (also to be restarted after a failure), or not known yet
      }
    }
    if (pendingRegular > 0 || pendingSidecars > 0 && !appStarted) {
      return "Pending";
    }
    return null;
  }

  /** Whether a sidecar still runs: a pod whose app containers are done stays Running until its sidecars stop. */
  static boolean sidecarRunning(List<ContainerView> views, List<ContainerStatusV1> statuses) {
    for (int i = 0; i < statuses.size(); i++) {
      if (views.get(i).role() == ContainerView.Role.SIDECAR && statuses.get(i).state() != null
          && "running".equals(statuses.get(i).state().kind())) {
        return true;
      }
    }
    return false;
  }

  /** {@code HasAnyRegularContainerStarted}: an app container runs or has terminated. */
  static boolean appStarted(List<ContainerStatusV1> apps) {
    return apps.stream().anyMatch(s -> s.state() != null && ("running".equals(s.state().kind())
        || "terminated".equals(s.state().kind())));
  }
}
