package io.outpost.containers.impl;

import io.outpost.protocol.PodStatusReport.ContainerStateV1;

/**
 * One container of a pod after a reconcile step: the engine's container (null if there is none) and what the manager
 * knows on top of it.
 *
 * @param waiting why the container is not running, when the manager knows better than the engine (pull errors,
 *     back-off); null otherwise
 * @param terminated the last terminated state the manager saw, used once the engine container is gone
 * @param willRestart false if the container exited and its pod's restart policy leaves it so
 * @param notReady true while a readiness (or startup) probe keeps a running container from being ready
 * @param notStarted true while a startup probe has not yet passed for the running container (the kubelet's
 *     {@code started: false})
 * @param role what the container is to its pod: the kubelet reports readiness and phase differently for each
 */
record ContainerView(
    String name,
    String image,
    EngineContainer engine,
    ContainerStateV1 waiting,
    int restartCount,
    ContainerStateV1 lastState,
    ContainerStateV1 terminated,
    boolean willRestart,
    boolean notReady,
    boolean notStarted,
    Role role) {

  /**
   * An app container ({@code spec.containers}); a regular init container, which runs to completion and is ready once
   * it completed; or a native sidecar ({@code initContainers[].restartPolicy: Always}), which keeps running beside the
   * app containers and is ready as an app container is.
   */
  enum Role { APP, INIT, SIDECAR }

  ContainerView(String name, String image, EngineContainer engine, ContainerStateV1 waiting, int restartCount,
      ContainerStateV1 lastState, ContainerStateV1 terminated, boolean willRestart) {
    this(name, image, engine, waiting, restartCount, lastState, terminated, willRestart, false);
  }

  ContainerView(String name, String image, EngineContainer engine, ContainerStateV1 waiting, int restartCount,
      ContainerStateV1 lastState, ContainerStateV1 terminated, boolean willRestart, boolean notReady) {
    this(name, image, engine, waiting, restartCount, lastState, terminated, willRestart, notReady, false, Role.APP);
  }
}
