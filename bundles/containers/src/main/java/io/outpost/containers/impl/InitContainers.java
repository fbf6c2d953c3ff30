package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A pod's init containers, run as the kubelet runs them: one after the other, each to successful completion, before
 * any app container starts; a failed one is restarted with back-off unless the pod's restart policy is Never, which
 * fails the pod. One engine action per pass, never a wait. Once a pod's app containers exist the init containers
 * count as done (a restarted gateway does not run them again).
 */
final class InitContainers {
  private final PodWorker worker;

  InitContainers(PodWorker worker) {
    this.worker = worker;
  }

  /** One step; true once every init container has completed. Records the init views in {@code state}. */
  boolean run(ObjectRef ref, PodV1 pod, List<EngineContainer> existing, PodState state, Instant now,
      String networkMode) {
    List<ContainerV1> specs = pod.initContainersInOrder();
    List<ContainerView> views = new ArrayList<>(specs.size());
    boolean appsExist = pod.containers().stream().anyMatch(c -> PodWorker.find(existing, c.name()) != null);
    boolean done = true;
    for (ContainerV1 spec : specs) {
      PodState.Memory memory = state.container(spec.name());
      EngineContainer container = PodWorker.find(existing, spec.name());
      if (!done) {
        views.add(view(spec, container, memory, null, true));
        continue;
      }
      if (appsExist) {
        memory.waiting = null;
        ContainerStateV1 completed = container != null && !container.running() && !container.neverStarted()
            ? StatusMapper.terminated(container) : ContainerStateV1.terminated("Completed", null, 0, null, null);
        views.add(view(spec, container, memory, completed, false));
        continue;
      }
      if (container == null) {
        container = worker.create(ref, pod, spec, state, memory, now, networkMode);
        done = false;
      } else if (container.running()) {
        done = false;
      } else if (container.neverStarted()) {
        container = worker.start(ref, pod, container, state, memory, now);
        done = false;
      } else if (container.exitCode() != null && container.exitCode() == 0) {
        memory.waiting = null;
        views.add(view(spec, container, memory, StatusMapper.terminated(container), false));
        continue;
      } else {
        // Failed: restarted with back-off unless the pod never restarts (then the pod has failed).
        PodV1 asInit = "Never".equals(pod.restartPolicy()) ? pod : withPolicy(pod, "OnFailure");
        container = worker.exited(ref, asInit, spec, container, state, memory, now);
        done = false;
      }
      boolean willRestart = !"Never".equals(pod.restartPolicy());
      views.add(view(spec, container, memory, null, willRestart));
    }
    state.initViews = List.copyOf(views);
    return done;
  }

  private static ContainerView view(ContainerV1 spec, EngineContainer container, PodState.Memory memory,
      ContainerStateV1 terminated, boolean willRestart) {
    return new ContainerView(spec.name(), spec.image(), container, memory.waiting, memory.restartCount,
        memory.lastState, terminated != null ? terminated : memory.terminated, willRestart);
  }

  private static PodV1 withPolicy(PodV1 pod, String restartPolicy) {
    return new PodV1(pod.nodeName(), restartPolicy, pod.terminationGracePeriodSeconds(), pod.deletionTimestamp(),
        pod.deletionGracePeriodSeconds(), pod.containers(), pod.initContainers(), pod.volumes(),
        pod.imagePullSecrets());
  }
}
