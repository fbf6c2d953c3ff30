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
    boolean notReady) {

  ContainerView(String name, String image, EngineContainer engine, ContainerStateV1 waiting, int restartCount,
      ContainerStateV1 lastState, ContainerStateV1 terminated, boolean willRestart) {
    this(name, image, engine, waiting, restartCount, lastState, terminated, willRestart, false);
  }
}
